from django.urls import include, path

from seikyu.documents.urls import credit_note_urlpatterns

urlpatterns = [
    # Hosted invoice pages: /i/<signed token>, its PDF and receipt.
    path("i/", include("seikyu.documents.urls")),
    # Credit notes' PDFs: /cn/<signed token>/pdf.
    path("cn/", include((credit_note_urlpatterns, "credit_notes"))),
    # Byte-serving and multipart /v1 views (file uploads and contents), ahead of the JSON dispatcher.
    path("v1/", include("seikyu.api.resources.files")),
    path("v1/", include("seikyu.api.urls")),
]
