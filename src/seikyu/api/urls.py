from django.urls import re_path

from .views import dispatch

# Everything under /v1/ goes to one dispatcher: it routes by the declarative tables of
# ``api/resources`` and answers unknown URLs in Stripe's error shape.
urlpatterns = [re_path(r"^(?P<rest>.*)$", dispatch)]
