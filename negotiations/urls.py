from django.urls import path

from negotiations import views

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("positions/<slug:party>/<slug:issue>/", views.position, name="position"),
    path("issues/<slug:slug>/", views.issue_timeline, name="issue"),
    path("shifts/", views.shift_list, name="shifts"),
    path("parties/<slug:slug>/", views.party_detail, name="party"),
    path("exports/<slug:dataset>.<slug:fmt>", views.export, name="export"),
    path("summary/", views.summary, name="summary"),
    path("summary.<slug:fmt>", views.summary, name="summary-as"),
    path("read/<int:article_id>/", views.read_article, name="read"),
]
