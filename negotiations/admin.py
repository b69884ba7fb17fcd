from django.contrib import admin

from negotiations.models import (
    Actor,
    ActorAlias,
    Cue,
    Issue,
    IssueCue,
    Office,
    OfficeAlias,
    Party,
    PartyAlias,
    ScaleStop,
    Statement,
    Tenure,
)


class PartyAliasInline(admin.TabularInline):
    model = PartyAlias
    extra = 1


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "short_name", "order"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PartyAliasInline]


class ActorAliasInline(admin.TabularInline):
    model = ActorAlias
    extra = 1


class TenureInline(admin.TabularInline):
    model = Tenure
    extra = 0
    autocomplete_fields = ["office"]


@admin.register(Actor)
class ActorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "party"]
    list_filter = ["party"]
    search_fields = ["name", "aliases__alias"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ActorAliasInline, TenureInline]


class OfficeAliasInline(admin.TabularInline):
    model = OfficeAlias
    extra = 1


class OfficeTenureInline(admin.TabularInline):
    model = Tenure
    extra = 1
    autocomplete_fields = ["actor"]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "party"]
    list_filter = ["party"]
    search_fields = ["title", "aliases__alias"]
    inlines = [OfficeAliasInline, OfficeTenureInline]


class ScaleStopInline(admin.TabularInline):
    model = ScaleStop
    extra = 0
    max_num = 5


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "low_pole_party", "high_pole_party", "order"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ScaleStopInline]


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ["stated_on", "party", "issue", "value", "attribution", "review_state"]
    list_filter = ["review_state", "party", "issue", "attribution"]
    search_fields = ["quote"]
    date_hierarchy = "stated_on"
    raw_id_fields = ["article"]
    autocomplete_fields = ["speaker"]
    readonly_fields = ["quote", "created_by", "reviewed_by", "reviewed_at", "created_at"]


@admin.register(Cue)
class CueAdmin(admin.ModelAdmin):
    list_display = ["term", "kind", "act", "lang"]
    list_filter = ["kind", "lang", "act"]
    search_fields = ["term"]


@admin.register(IssueCue)
class IssueCueAdmin(admin.ModelAdmin):
    list_display = ["term", "issue", "value", "opposed_value", "conditional_value", "lang"]
    list_filter = ["issue", "lang", "value"]
    search_fields = ["term"]
