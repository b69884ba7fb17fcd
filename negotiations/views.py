"""The analysts' dashboard: positions as of a date, issue timelines, shifts and party pages.

Each view parses its filters from the query string, calls selectors, and renders one page; an
htmx request gets only the fragment it swaps (a `{% partialdef %}` of the same template).
"""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from negotiations.charts import gap_chart, step_chart
from negotiations.exports import (
    SHIFT_FIELDS,
    STATEMENT_FIELDS,
    ExportFilters,
    csv_stream,
    json_stream,
    shift_rows,
    statement_rows,
)
from negotiations.forms import (
    AsOfForm,
    ExportForm,
    PeriodForm,
    ShiftFilterForm,
    SummaryForm,
    default_period,
)
from negotiations.models import Issue, Party
from negotiations.presenters import matrix_rows, point_evidence
from negotiations.selectors import (
    position_evidence,
    position_matrix,
    position_series,
    position_summary,
    shift_feed,
    statements_period,
    stop_labels,
)
from negotiations.summary_pdf import render_summary_pdf

READ = "negotiations.view_statement"
EXPORT = "negotiations.export_statement"
FEED_PAGE = 50


def _render(request: HttpRequest, template: str, fragment: str, context: dict) -> HttpResponse:
    if request.htmx and not request.htmx.history_restore_request:
        template = f"{template}#{fragment}"
    return render(request, template, context)


@require_GET
@permission_required(READ, raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    form = AsOfForm(request.GET)
    on, suggested = form.value("on"), form.value("suggested")
    matrix = position_matrix(on=on, recent_days=form.value("recent"), include_suggested=suggested)
    return _render(
        request,
        "negotiations/dashboard.html",
        "matrix",
        {
            "form": form,
            "matrix": matrix,
            "rows": matrix_rows(matrix=matrix, suggested=suggested),
            "suggested": suggested,
        },
    )


@require_GET
@permission_required(READ, raise_exception=True)
def position(request: HttpRequest, party: str, issue: str) -> HttpResponse:
    form = AsOfForm(request.GET)
    evidence = position_evidence(
        party=get_object_or_404(Party, slug=party),
        issue=get_object_or_404(
            Issue.objects.select_related("low_pole_party", "high_pole_party"), slug=issue
        ),
        on=form.value("on"),
        include_suggested=form.value("suggested"),
    )
    return _render(request, "negotiations/position.html", "evidence", {"evidence": evidence})


@require_GET
@permission_required(READ, raise_exception=True)
def issue_timeline(request: HttpRequest, slug: str) -> HttpResponse:
    issue = get_object_or_404(
        Issue.objects.select_related("low_pole_party", "high_pole_party"), slug=slug
    )
    form = PeriodForm(request.GET)
    suggested = form.value("suggested")
    chosen = form.value("party")
    since, until = default_period(statements_period(issues=[issue], include_suggested=suggested))
    since, until = form.value("since") or since, form.value("until") or until
    series = position_series(
        since=since, until=until, parties=chosen, issues=[issue], include_suggested=suggested
    )
    labels = {v: label for (i, v), label in stop_labels().items() if i == issue.pk}
    chart = step_chart(
        series=series,
        since=since,
        until=until,
        labels=labels,
        href=point_evidence(suggested=suggested),
    )
    poles = {s.party.pk: s for s in series}
    gap = None
    if issue.low_pole_party_id in poles and issue.high_pole_party_id in poles:
        gap = gap_chart(
            low_pole=poles[issue.low_pole_party_id],
            high_pole=poles[issue.high_pole_party_id],
            since=since,
            until=until,
        )
    return _render(
        request,
        "negotiations/issue.html",
        "timeline",
        {
            "issue": issue,
            "issues": Issue.objects.all(),
            "form": form,
            "since": since,
            "until": until,
            "chart": chart,
            "gap": gap,
        },
    )


@require_GET
@permission_required(READ, raise_exception=True)
def shift_list(request: HttpRequest) -> HttpResponse:
    form = ShiftFilterForm(request.GET)
    page = form.value("page")
    entries = shift_feed(
        parties=form.value("party"),
        issues=form.value("issue"),
        kinds=form.value("kind"),
        since=form.value("since"),
        until=form.value("until"),
        include_suggested=form.value("suggested"),
        limit=FEED_PAGE + 1,  # one more tells whether a next page exists, without a count
        offset=(page - 1) * FEED_PAGE,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return _render(
        request,
        "negotiations/shifts.html",
        "feed",
        {
            "form": form,
            "entries": entries[:FEED_PAGE],
            "page": page,
            "has_next": len(entries) > FEED_PAGE,
            "query": query.urlencode(),
        },
    )


@require_GET
@permission_required(READ, raise_exception=True)
def party_detail(request: HttpRequest, slug: str) -> HttpResponse:
    party = get_object_or_404(Party, slug=slug)
    form = PeriodForm(request.GET)
    suggested = form.value("suggested")
    since, until = default_period(statements_period(parties=[party], include_suggested=suggested))
    since, until = form.value("since") or since, form.value("until") or until
    series = position_series(since=since, until=until, parties=[party], include_suggested=suggested)
    labels = stop_labels()
    charts = []
    for s in series:
        charts.append(
            step_chart(
                series=[s],
                since=since,
                until=until,
                labels={v: label for (i, v), label in labels.items() if i == s.issue.pk},
                band=22,
                href=point_evidence(suggested=suggested),
            )
        )
    return _render(
        request,
        "negotiations/party.html",
        "overview",
        {
            "party": party,
            "parties": Party.objects.all(),
            "form": form,
            "since": since,
            "until": until,
            "charts": charts,
            "entries": shift_feed(parties=[party], include_suggested=suggested, limit=30),
        },
    )


@require_GET
@permission_required(EXPORT, raise_exception=True)
def export(request: HttpRequest, dataset: str, fmt: str) -> StreamingHttpResponse:
    """Statements or shifts with the dashboard's filters, as CSV or JSON, streamed."""
    if dataset not in ("statements", "shifts") or fmt not in ("csv", "json"):
        raise Http404("Exports are statements or shifts, as csv or json.")
    form = ExportForm(request.GET)
    filters = ExportFilters(
        parties=form.value("party"),
        issues=form.value("issue"),
        since=form.value("since"),
        until=form.value("until"),
        kinds=form.value("kind"),
        include_suggested=form.value("suggested"),
    )
    if dataset == "statements":
        rows, columns = statement_rows(filters=filters), list(STATEMENT_FIELDS)
    else:
        rows, columns = shift_rows(filters=filters), SHIFT_FIELDS
    if fmt == "csv":
        stream = csv_stream(rows, columns=columns, bom=form.value("bom"))
        content_type = "text/csv; charset=utf-8"
    else:
        stream, content_type = json_stream(rows, columns=columns), "application/json"
    response = StreamingHttpResponse(stream, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="stance-{dataset}.{fmt}"'
    return response


@require_GET
@permission_required(EXPORT, raise_exception=True)
def summary(request: HttpRequest, fmt: str = "html") -> HttpResponse:
    """A position summary as of a date, with quotes as footnotes: HTML, Markdown or PDF."""
    form = SummaryForm(request.GET)
    result = position_summary(
        on=form.value("on"),
        parties=form.value("party"),
        issues=form.value("issue"),
        changed_since=form.value("since"),
    )

    def passage_url(statement) -> str:
        path = reverse("read", args=[statement.article_id])
        return request.build_absolute_uri(f"{path}#passage-{statement.pk}")

    name = f"stance-summary-{result.on.isoformat()}"
    if fmt == "pdf":
        response = HttpResponse(
            render_summary_pdf(summary=result, passage_url=passage_url),
            content_type="application/pdf",
        )
        response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return response
    footnotes = [(n, s, passage_url(s)) for n, s in enumerate(result.footnotes, start=1)]
    context = {
        "form": form,
        "summary": result,
        "footnotes": footnotes,
        "query": request.GET.urlencode(),
    }
    if fmt == "md":
        response = render(
            request, "negotiations/summary.md", context, content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.md"'
        return response
    return render(request, "negotiations/summary.html", context)
