from django.urls import path

from aldis.feeds.api.views import FeedImportApi

urlpatterns = [
    path("<str:feed>/", FeedImportApi.as_view(), name="feed-import"),
]
