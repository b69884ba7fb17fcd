from django.urls import path

from negotiations import views

urlpatterns = [
    path("", views.home, name="home"),
]
