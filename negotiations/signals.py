"""What negotiations/ does when articles/ tells it something."""

from __future__ import annotations

from django.db import transaction


def enqueue_suggestions(sender, *, article_id: int, **kwargs) -> None:
    """Queue the suggester once the article's text is committed, never before."""
    from negotiations.tasks import suggest_article_statements

    transaction.on_commit(lambda: suggest_article_statements.delay(article_id))
