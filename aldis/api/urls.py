from django.urls import path

from aldis.api.views import WhoAmIApi

urlpatterns = [
    path("whoami/", WhoAmIApi.as_view(), name="whoami"),
]
