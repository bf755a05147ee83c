from django.urls import include, path

urlpatterns = [
    # Hosted invoice pages: /i/<signed token>, its PDF and receipt.
    path("i/", include("seikyu.documents.urls")),
    # Byte-serving and multipart /v1 views (file uploads and contents), ahead of the JSON dispatcher.
    path("v1/", include("seikyu.api.resources.files")),
    path("v1/", include("seikyu.api.urls")),
]
