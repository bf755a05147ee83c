"""The URLs these tests serve: the project's, plus the hosted invoice page at ``/i/`` and the
byte-serving ``/v1`` views (files, documents) ahead of the ``/v1`` dispatcher, as mounted in
``seikyu/urls.py``."""

from django.urls import include, path

urlpatterns = [
    path("i/", include("seikyu.documents.urls")),
    path("v1/", include("seikyu.api.resources.files")),
    path("v1/", include("seikyu.api.urls")),
]
