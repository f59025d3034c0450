from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from aldis import views

admin.site.site_header = "ALDIS: Bureau administration"
admin.site.site_title = "ALDIS"
admin.site.index_title = "Registers, months and compensation"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("status/", include("households.web.urls", namespace="status")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(("aldis.api.urls", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    re_path(r"^api/", views.api_unknown_path),  # last: every other path under /api/
]

handler404 = "aldis.views.not_found"
handler500 = "aldis.views.server_error"
