"""What negotiations/ does when articles/ announces something (connected in apps.py)."""

from articles.signals import article_revised
from negotiations.services import reconcile_quotes


def on_article_revised(sender, *, article_id: int, **kwargs) -> None:
    reconcile_quotes(article_id=article_id)


def connect() -> None:
    article_revised.connect(on_article_revised, dispatch_uid="negotiations.reconcile_quotes")
