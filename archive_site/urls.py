from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Before admin/: the admin's catch-all would answer 404 for admin/rq/.
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", views.account, name="account"),
    path("accounts/token/", views.account_token, name="account-token"),
    path("api/", include("archive_site.api_urls")),
    path("colorize/", include("apps.colorize.urls")),
    path("models/", include("apps.mlcore.urls")),
    path("", include("apps.harvest.urls")),
    path("", include("apps.collections.urls")),
]

handler400 = "archive_site.api.bad_request"
handler403 = "archive_site.api.permission_denied"
handler404 = "archive_site.api.page_not_found"
handler500 = "archive_site.api.server_error"
