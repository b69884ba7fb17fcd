"""The editors' workspace on one article: read it, accept, correct or reject suggestions, mark
passages as new statements. Analysts see the same page without the controls.

Every write answers with the fragment it changes: the statement's card (`#statement-<id>`,
swapped in place) and, out of band, the article's text, whose highlights follow the decision.
"""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from articles.forms import PasteForm, UploadForm, UrlForm
from articles.models import Article
from negotiations.forms import InboxForm, StatementForm
from negotiations.models import ReviewState, Statement
from negotiations.presenters import passages
from negotiations.selectors import article_reading, inbox, statement_history
from negotiations.services import (
    EditConflict,
    claim_article,
    create_statement,
    edit_statement,
    mark_article_tagged,
    review_statement,
)

READ = "negotiations.view_statement"
TAG = "negotiations.tag_article"
TEMPLATE = "negotiations/article.html"


def _workspace_context(request: HttpRequest, article_id: int) -> dict:
    reading = article_reading(article_id=article_id)
    return {
        "reading": reading,
        "segments": passages(
            text=reading.article.text,
            statements=[
                s
                for s in reading.statements
                if s.review_state != ReviewState.REJECTED and not s.quote_missing
            ],
        ),
        "can_tag": request.user.has_perm(TAG),
    }


def _card(request: HttpRequest, statement: Statement, **extra) -> HttpResponse:
    """The statement's card, and the article's text again (out of band) for its highlights."""
    context = _workspace_context(request, statement.article_id)
    statement = next((s for s in context["reading"].statements if s.pk == statement.pk), statement)
    return render(request, f"{TEMPLATE}#card-and-text", {**context, "s": statement, **extra})


@require_GET
@permission_required(READ, raise_exception=True)
def read_article(request: HttpRequest, article_id: int) -> HttpResponse:
    context = _workspace_context(request, article_id)
    if context["can_tag"]:
        context["others"] = claim_article(article=context["reading"].article, user=request.user)
    return render(request, TEMPLATE, context)


@require_POST
@permission_required(TAG, raise_exception=True)
def decide(request: HttpRequest, statement_id: int, decision: str) -> HttpResponse:
    statement = get_object_or_404(Statement, pk=statement_id)
    state = {"accept": ReviewState.CONFIRMED, "reject": ReviewState.REJECTED}[decision]
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponse("The form lacks the statement's version.", status=400)
    try:
        statement = review_statement(
            statement=statement, state=state, user=request.user, version=version
        )
    except EditConflict as conflict:
        return _card(request, conflict.current, conflict=True)
    return _card(request, statement)


@permission_required(TAG, raise_exception=True)
def edit(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = get_object_or_404(Statement.objects.select_related("article"), pk=statement_id)
    if request.method == "POST":
        form = StatementForm(request.POST, instance=Statement.objects.get(pk=statement_id))
        if form.is_valid():
            try:
                statement = edit_statement(
                    statement_id=statement_id,
                    version=form.cleaned_data["version"] or 0,
                    user=request.user,
                    **form.changes(),
                )
            except EditConflict as conflict:
                return _card(request, conflict.current, conflict=True)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return _card(request, statement)
    else:
        form = StatementForm(instance=statement, initial={"version": statement.version})
    return render(
        request,
        f"{TEMPLATE}#statement-form",
        {"form": form, "s": statement, "article": statement.article},
    )


@permission_required(TAG, raise_exception=True)
def new_statement(request: HttpRequest, article_id: int) -> HttpResponse:
    """A statement from a passage the editor selected (offsets in the query or the form)."""
    article = get_object_or_404(Article, pk=article_id)
    if request.method == "POST":
        form = StatementForm(request.POST)
        if form.is_valid():
            changes = form.changes()
            try:
                statement = create_statement(
                    article=article,
                    review_state=ReviewState.CONFIRMED,
                    created_by=request.user,
                    **changes,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return render(
                    request,
                    f"{TEMPLATE}#workspace",
                    {**_workspace_context(request, article_id), "created": statement},
                )
    else:
        form = StatementForm(
            initial={
                "quote_start": request.GET.get("start"),
                "quote_end": request.GET.get("end"),
                "stated_on": article.published_on,
                "credibility": 2,
            }
        )
    start, end = form["quote_start"].value(), form["quote_end"].value()
    try:
        quote = article.text[int(start) : int(end)]
    except (TypeError, ValueError):
        quote = ""
    return render(
        request,
        f"{TEMPLATE}#statement-form",
        {"form": form, "s": None, "article": article, "quote": quote},
    )


@require_POST
@permission_required(TAG, raise_exception=True)
def mark_tagged(request: HttpRequest, article_id: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=article_id)
    mark_article_tagged(article=article, user=request.user)
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return redirect("read", article_id=article_id)


@require_GET
@permission_required(READ, raise_exception=True)
def history(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = get_object_or_404(Statement, pk=statement_id)
    return render(
        request,
        f"{TEMPLATE}#history",
        {"s": statement, "changes": statement_history(statement=statement)},
    )


@require_GET
@permission_required(READ, raise_exception=True)
def inbox_view(request: HttpRequest) -> HttpResponse:
    """The editors' inbox (analysts may read it): articles by state, filtered and searched."""
    form = InboxForm(request.GET)
    found = inbox(
        tab=form.value("tab"),
        query=form.value("q") or "",
        source=form.value("source"),
        language=form.value("language") or "",
        since=form.value("since"),
        until=form.value("until"),
        party=form.value("party"),
        issue=form.value("issue"),
        has_suggestions=form.value("has_suggestions"),
        page=form.value("page"),
    )
    query = request.GET.copy()
    for name in ("tab", "page"):
        query.pop(name, None)
    template = "negotiations/inbox.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#results"
    return render(
        request,
        template,
        {
            "form": form,
            "inbox": found,
            "tabs": InboxForm.TABS,
            "query": query.urlencode(),
            "can_ingest": request.user.has_perm("articles.ingest_article"),
            "url_form": UrlForm(),
            "upload_form": UploadForm(),
            "paste_form": PasteForm(),
        },
    )
