from django.contrib import admin

from articles.models import Article, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "language", "reliability"]
    list_filter = ["kind", "reliability", "language"]
    search_fields = ["name", "url"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "source", "published_on", "language", "status"]
    list_filter = ["status", "language", "source"]
    search_fields = ["title", "url"]
    date_hierarchy = "published_on"
    readonly_fields = ["content_hash", "created_at", "updated_at"]
