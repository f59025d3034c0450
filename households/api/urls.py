from django.urls import path

from households.api.views import PersonStatusApi

urlpatterns = [
    path("", PersonStatusApi.as_view(), name="person-status"),
]
