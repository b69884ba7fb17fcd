from django.urls import path

from negotiations import views

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("positions/<slug:party>/<slug:issue>/", views.position, name="position"),
    path("issues/<slug:slug>/", views.issue_timeline, name="issue"),
    path("shifts/", views.shift_list, name="shifts"),
    path("parties/<slug:slug>/", views.party_detail, name="party"),
]
