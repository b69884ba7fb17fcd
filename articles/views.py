"""Thin views: parse the request, check the permission, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from articles import selectors, services
from articles.forms import FeedForm, PasteForm, UploadForm, UrlForm
from articles.models import Article

INGEST = "articles.ingest_article"
VIEW = "articles.view_article"


def _detail(article_id: int) -> Article:
    try:
        return selectors.article_detail(article_id=article_id)
    except Article.DoesNotExist as exc:
        raise Http404 from exc


@require_GET
@permission_required(VIEW, raise_exception=True)
def article_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "articles/list.html",
        {
            "articles": selectors.article_list(status=request.GET.get("status", "")),
            "url_form": UrlForm(),
            "upload_form": UploadForm(),
            "paste_form": PasteForm(),
        },
    )


@require_POST
@permission_required(INGEST, raise_exception=True)
def submit_url(request: HttpRequest) -> HttpResponse:
    form = UrlForm(request.POST)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    try:
        article, created = services.submit_url(url=form.cleaned_data["url"], user=request.user)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    if request.htmx:
        row = selectors.article_row(article_id=article.id)
        return render(request, "articles/list.html#row", {"a": row})
    if not created:
        messages.info(request, "This article was already submitted.")
    return redirect("articles:detail", article_id=article.id)


@require_POST
@permission_required(INGEST, raise_exception=True)
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    upload = form.cleaned_data["file"]
    try:
        article = services.submit_upload(
            data=upload.read(),
            filename=upload.name,
            declared_type=upload.content_type or "",
            user=request.user,
        )
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    return redirect("articles:detail", article_id=article.id)


@require_POST
@permission_required(INGEST, raise_exception=True)
def paste(request: HttpRequest) -> HttpResponse:
    form = PasteForm(request.POST)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    try:
        article, _ = services.submit_text(**form.cleaned_data, user=request.user)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    return redirect("articles:detail", article_id=article.id)


@require_GET
@permission_required(VIEW, raise_exception=True)
def article_detail(request: HttpRequest, article_id: int) -> HttpResponse:
    article = _detail(article_id)
    if request.htmx:
        # The status fragment polls itself until the article reaches a final state.
        return render(request, "articles/detail.html#status", {"article": article})
    return render(
        request,
        "articles/detail.html",
        {
            "article": article,
            "events": article.events.all(),
            "revisions": article.revisions.all(),
            "outlets": selectors.story_outlets(article=article),
            "copies": selectors.story_copies(article=article),
        },
    )


@require_GET
@permission_required(VIEW, raise_exception=True)
def article_row(request: HttpRequest, article_id: int) -> HttpResponse:
    """A list row that swaps itself while its article is in the pipeline."""
    try:
        row = selectors.article_row(article_id=article_id)
    except Article.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "articles/list.html#row", {"a": row})


@require_POST
@permission_required(INGEST, raise_exception=True)
def retry(request: HttpRequest, article_id: int) -> HttpResponse:
    services.retry_article(article_id=article_id, user=request.user)
    if request.htmx:
        try:
            row = selectors.article_row(article_id=article_id)
        except Article.DoesNotExist as exc:
            raise Http404 from exc
        return render(request, "articles/list.html#row", {"a": row})
    return redirect("articles:detail", article_id=article_id)


@require_POST
@permission_required(INGEST, raise_exception=True)
def refetch(request: HttpRequest, article_id: int) -> HttpResponse:
    if not services.refetch_article(article_id=article_id, user=request.user):
        messages.error(
            request, "Only extracted articles from a URL or a feed can be fetched again."
        )
    return redirect("articles:detail", article_id=article_id)


@require_GET
@permission_required(VIEW, raise_exception=True)
def feed_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "articles/feeds.html", {"feeds": selectors.feed_list(), "form": FeedForm()}
    )


@require_POST
@permission_required(INGEST, raise_exception=True)
def add_feed(request: HttpRequest) -> HttpResponse:
    form = FeedForm(request.POST)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    try:
        services.create_feed_source(
            url=form.cleaned_data["url"],
            name=form.cleaned_data["name"],
            interval_minutes=form.cleaned_data["interval"],
        )
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain")
    return redirect("articles:feeds")


@require_POST
@permission_required(INGEST, raise_exception=True)
def poll_now(request: HttpRequest, source_id: int) -> HttpResponse:
    services.request_poll(source_id=source_id)
    messages.info(request, "The feed will be polled in a moment.")
    return redirect("articles:feeds")
