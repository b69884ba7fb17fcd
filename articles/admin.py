from django.contrib import admin, messages

from articles import services
from articles.models import Article, ArticleEvent, ArticleRevision, Source, SourceKind


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "language",
        "reliability",
        "active",
        "poll_interval_minutes",
        "next_poll_at",
        "last_poll_status",
    ]
    list_filter = ["kind", "reliability", "language", "active"]
    search_fields = ["name", "url"]
    readonly_fields = ["last_polled_at", "last_poll_status", "etag", "last_modified"]
    actions = ["poll_now"]

    @admin.action(description="Poll the selected feeds now")
    def poll_now(self, request, queryset):
        feeds = queryset.filter(kind=SourceKind.FEED)
        for source_id in feeds.values_list("id", flat=True):
            services.request_poll(source_id=source_id)
        self.message_user(request, f"{feeds.count()} feed(s) will be polled.", messages.INFO)


class ArticleEventInline(admin.TabularInline):
    model = ArticleEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "status", "message", "attempt", "elapsed_ms"]

    def has_add_permission(self, request, obj=None):
        return False


class ArticleRevisionInline(admin.TabularInline):
    model = ArticleRevision
    extra = 0
    can_delete = False
    readonly_fields = ["number", "content_hash", "fetched_at", "created_at"]
    exclude = ["text"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "source", "outlet", "published_on", "language", "status"]
    list_filter = ["status", "origin", "language", "source"]
    search_fields = ["title", "url"]
    date_hierarchy = "published_on"
    readonly_fields = [
        "content_hash",
        "created_at",
        "updated_at",
        "duplicate_of",
        "duplicate_kind",
        "attempts",
        "lease_until",
        "fetched_at",
        "failure_reason",
    ]
    raw_id_fields = ["submitted_by"]
    inlines = [ArticleEventInline, ArticleRevisionInline]
