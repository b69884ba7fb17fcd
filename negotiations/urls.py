from django.urls import path

from negotiations import tagging, views

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("positions/<slug:party>/<slug:issue>/", views.position, name="position"),
    path("issues/<slug:slug>/", views.issue_timeline, name="issue"),
    path("shifts/", views.shift_list, name="shifts"),
    path("parties/<slug:slug>/", views.party_detail, name="party"),
    path("exports/<slug:dataset>.<slug:fmt>", views.export, name="export"),
    path("summary/", views.summary, name="summary"),
    path("summary.<slug:fmt>", views.summary, name="summary-as"),
    path("inbox/", tagging.inbox_view, name="inbox"),
    path("read/<int:article_id>/", tagging.read_article, name="read"),
    path("read/<int:article_id>/statements/", tagging.new_statement, name="statement-new"),
    path("read/<int:article_id>/tagged/", tagging.mark_tagged, name="article-tagged"),
    path(
        "statements/<int:statement_id>/accept/",
        tagging.decide,
        {"decision": "accept"},
        name="statement-accept",
    ),
    path(
        "statements/<int:statement_id>/reject/",
        tagging.decide,
        {"decision": "reject"},
        name="statement-reject",
    ),
    path("statements/<int:statement_id>/edit/", tagging.edit, name="statement-edit"),
    path("statements/<int:statement_id>/history/", tagging.history, name="statement-history"),
]
