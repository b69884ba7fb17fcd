from django.urls import path

from articles import views

app_name = "articles"
urlpatterns = [
    path("", views.article_list, name="list"),
    path("submit/", views.submit_url, name="submit"),
    path("upload/", views.upload, name="upload"),
    path("paste/", views.paste, name="paste"),
    path("<int:article_id>/", views.article_detail, name="detail"),
    path("<int:article_id>/row/", views.article_row, name="row"),
    path("<int:article_id>/retry/", views.retry, name="retry"),
    path("<int:article_id>/refetch/", views.refetch, name="refetch"),
    path("feeds/", views.feed_list, name="feeds"),
    path("feeds/add/", views.add_feed, name="add_feed"),
    path("feeds/<int:source_id>/poll/", views.poll_now, name="poll_now"),
]
