"""Ingestion reads for views and commands."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from articles.models import Article, ArticleStatus, Source, SourceKind


def _rows() -> QuerySet[Article]:
    return (
        Article.objects.select_related("source", "duplicate_of")
        .annotate(copy_count=Count("copies"))
        .order_by("-id")
    )


def article_list(*, status: str = "", limit: int = 100) -> QuerySet[Article]:
    articles = _rows()
    if status in ArticleStatus.values:
        articles = articles.filter(status=status)
    return articles[:limit]


def article_detail(*, article_id: int) -> Article:
    return Article.objects.select_related("source", "duplicate_of", "submitted_by").get(
        id=article_id
    )


def article_row(*, article_id: int) -> Article:
    return _rows().get(id=article_id)


def story_outlets(*, article: Article) -> list[str]:
    """The distinct outlets that carried the story: the original and its duplicates."""
    root_id = article.duplicate_of_id or article.id
    return sorted(
        set(
            Article.objects.filter(Q(id=root_id) | Q(duplicate_of_id=root_id))
            .exclude(outlet="")
            .values_list("outlet", flat=True)
        )
    )


def story_copies(*, article: Article) -> QuerySet[Article]:
    root_id = article.duplicate_of_id or article.id
    return Article.objects.filter(duplicate_of_id=root_id).order_by("id")


def feed_list() -> QuerySet[Source]:
    return Source.objects.filter(kind=SourceKind.FEED).annotate(article_count=Count("articles"))
