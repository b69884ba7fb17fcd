"""A read-only JSON API over the record, for analysts' scripts and other systems.

Authentication: a token (`Authorization: Token <key>`, created in the admin or with
`manage.py drf_create_token USERNAME`) or the browser session. Reading needs the analysts' rights.
The OpenAPI schema is at /api/schema/.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import QueryDict
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from negotiations.forms import AsOfForm, ShiftFilterForm
from negotiations.models import Issue, Party, ScaleStop, Shift, Statement
from negotiations.permissions import CanReadRecord
from negotiations.selectors import (
    positions_as_of,
    shift_label,
    shifts_matching,
    statements_matching,
    stop_labels,
)


class PartySerializer(serializers.ModelSerializer):
    class Meta:
        model = Party
        fields = ["slug", "name", "short_name", "color"]


class ScaleStopSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScaleStop
        fields = ["value", "label", "description"]


class IssueSerializer(serializers.ModelSerializer):
    low_pole_party = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    high_pole_party = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    stops = ScaleStopSerializer(many=True, read_only=True)

    class Meta:
        model = Issue
        fields = ["slug", "name", "description", "low_pole_party", "high_pole_party", "stops"]


class ArticleRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()
    published_on = serializers.DateField(allow_null=True)
    language = serializers.CharField()
    source = serializers.CharField(source="source.name", allow_null=True, default=None)


class StatementSerializer(serializers.ModelSerializer):
    party = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    issue = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    speaker = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    reported_by = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    article = ArticleRefSerializer(read_only=True)

    class Meta:
        model = Statement
        fields = [
            "id",
            "party",
            "issue",
            "value",
            "stated_on",
            "quote",
            "quote_start",
            "quote_end",
            "speaker",
            "attribution",
            "reported_by",
            "credibility",
            "review_state",
            "confidence",
            "extractor_version",
            "article",
        ]


class ShiftSerializer(serializers.ModelSerializer):
    party = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    issue = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    label = serializers.SerializerMethodField()

    class Meta:
        model = Shift
        fields = [
            "party",
            "issue",
            "from_on",
            "to_on",
            "from_low",
            "from_high",
            "to_low",
            "to_high",
            "size",
            "direction",
            "kind",
            "label",
            "statement_ids",
        ]

    def get_label(self, shift: Shift) -> str:
        return shift_label(shift=shift)


class PositionSerializer(serializers.Serializer):
    party = serializers.CharField()
    issue = serializers.CharField()
    stated_on = serializers.DateField()
    low = serializers.IntegerField()
    high = serializers.IntegerField()
    low_label = serializers.CharField()
    high_label = serializers.CharField()
    statement_ids = serializers.ListField(child=serializers.IntegerField())


FILTERS = [
    OpenApiParameter("party", OpenApiTypes.STR, many=True, description="Party slug(s)"),
    OpenApiParameter("issue", OpenApiTypes.STR, many=True, description="Issue slug(s)"),
    OpenApiParameter("since", OpenApiTypes.DATE),
    OpenApiParameter("until", OpenApiTypes.DATE),
    OpenApiParameter("suggested", OpenApiTypes.BOOL, description="Include suggestions"),
]


class DateCursorPagination(CursorPagination):
    """Stable pages over a million rows: no COUNT, no OFFSET."""

    ordering = ("stated_on", "id")
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"


class ShiftCursorPagination(DateCursorPagination):
    ordering = ("to_on", "id")


def _filters(query: QueryDict) -> ShiftFilterForm:
    return ShiftFilterForm(query)


class PartyViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Party.objects.all()
    serializer_class = PartySerializer
    lookup_field = "slug"


class IssueViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Issue.objects.select_related("low_pole_party", "high_pole_party").prefetch_related(
        "stops"
    )
    serializer_class = IssueSerializer
    lookup_field = "slug"


@extend_schema(parameters=FILTERS)
class StatementViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = StatementSerializer
    pagination_class = DateCursorPagination

    def get_queryset(self):
        form = _filters(self.request.query_params)
        return statements_matching(
            parties=form.value("party"),
            issues=form.value("issue"),
            since=form.value("since"),
            until=form.value("until"),
            include_suggested=form.value("suggested"),
        ).select_related("party", "issue", "speaker", "reported_by", "article", "article__source")


@extend_schema(
    parameters=[
        *FILTERS[:4],
        OpenApiParameter("kind", OpenApiTypes.STR, many=True, description="Shift kind(s)"),
    ]
)
class ShiftViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ShiftSerializer
    pagination_class = ShiftCursorPagination

    def get_queryset(self):
        form = _filters(self.request.query_params)
        return shifts_matching(
            parties=form.value("party"),
            issues=form.value("issue"),
            since=form.value("since"),
            until=form.value("until"),
            kinds=form.value("kind"),
        )


@extend_schema(
    parameters=[
        OpenApiParameter("on", OpenApiTypes.DATE, description="As of this date (default today)"),
        FILTERS[0],
        FILTERS[1],
        FILTERS[4],
    ],
    responses=PositionSerializer(many=True),
)
@api_view(["GET"])
@permission_classes([CanReadRecord])
def positions(request: Request) -> Response:
    """Each party's position on each issue as of a date (a range when statements disagree)."""
    as_of = AsOfForm(request.query_params)
    filters = _filters(request.query_params)
    on = as_of.value("on") or timezone.localdate()
    found = positions_as_of(
        on=on,
        parties=filters.value("party"),
        issues=filters.value("issue"),
        include_suggested=as_of.value("suggested"),
    )
    slugs_of_parties = dict(Party.objects.values_list("id", "slug"))
    slugs_of_issues = dict(Issue.objects.values_list("id", "slug"))
    labels = stop_labels()
    data = [
        {
            "party": slugs_of_parties[p.party_id],
            "issue": slugs_of_issues[p.issue_id],
            "stated_on": p.stated_on,
            "low": p.low,
            "high": p.high,
            "low_label": labels.get((p.issue_id, p.low), ""),
            "high_label": labels.get((p.issue_id, p.high), ""),
            "statement_ids": list(p.statement_ids),
        }
        for p in found
    ]
    return Response({"on": on, "positions": PositionSerializer(data, many=True).data})


def api_urls() -> list:
    """The API's URL patterns, open to token authentication (not only to logged-in sessions)."""
    from django.urls import path
    from drf_spectacular.views import SpectacularAPIView
    from rest_framework.routers import DefaultRouter

    router = DefaultRouter()
    router.register("parties", PartyViewSet, basename="api-party")
    router.register("issues", IssueViewSet, basename="api-issue")
    router.register("statements", StatementViewSet, basename="api-statement")
    router.register("shifts", ShiftViewSet, basename="api-shift")
    patterns = [
        *router.urls,
        path("positions/", positions, name="api-positions"),
        path(
            "schema/",
            SpectacularAPIView.as_view(permission_classes=[CanReadRecord]),
            name="api-schema",
        ),
    ]
    # The site-wide LoginRequiredMiddleware would send token clients to the login page; the
    # API checks authentication and permissions itself.
    for pattern in patterns:
        pattern.callback = login_not_required(pattern.callback)
    return patterns
