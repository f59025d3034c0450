from django.urls import path

from compensation.api.views import AppliedSubmitApi, ClaimSubmitApi

urlpatterns = [
    path("applied/", AppliedSubmitApi.as_view(), name="month-applied"),
    path("claims/", ClaimSubmitApi.as_view(), name="month-claims"),
]
