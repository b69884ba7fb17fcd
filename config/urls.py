from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import health
from negotiations.api import api_urls

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    path("api/", include(api_urls())),
    path("articles/", include("articles.urls")),
    path("", include("negotiations.urls")),
]
