from django.urls import include, path

from aldis.api.views import WhoAmIApi

urlpatterns = [
    path("whoami/", WhoAmIApi.as_view(), name="whoami"),
    path("feeds/", include("aldis.feeds.api.urls")),
    path("status/", include("households.api.urls")),
    path("months/<str:month>/", include("eligibility.api.urls")),
    path("months/<str:month>/", include("compensation.api.urls")),
]
