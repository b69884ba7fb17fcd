"""The demo that `make run` ships: dispatches written for Stance (dispatches.json) coded as
confirmed statements, and one user per role."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.db import transaction

from articles.models import Article, ArticleStatus, Reliability, Source, SourceKind
from negotiations.models import Actor, Issue, Party, ReviewState, Statement
from negotiations.services import create_statement, quote_offsets

DISPATCHES = Path(__file__).with_name("dispatches.json")
DEMO_USERS = {"analyst": "analysts", "editor": "editors", "admin": "admins"}
DEMO_SOURCES = {"en": "Stance Demo Desk", "fr": "Dépêches Stance (démo)"}


@dataclass
class DemoResult:
    articles_created: int = 0
    statements_created: int = 0
    users_created: int = 0


def demo_loaded() -> bool:
    return Source.objects.filter(name__in=DEMO_SOURCES.values()).exists()


@transaction.atomic
def load_demo(*, password: str) -> DemoResult:
    """Load the demo; loading it again changes nothing (existing rows are left as they are)."""
    result = DemoResult()
    editor = _ensure_users(password=password, result=result)
    parties = {p.slug: p for p in Party.objects.all()}
    issues = {i.slug: i for i in Issue.objects.all()}
    actors = {a.slug: a for a in Actor.objects.all()}
    sources = {
        lang: Source.objects.get_or_create(
            name=name,
            defaults={
                "kind": SourceKind.MANUAL,
                "language": lang,
                "reliability": Reliability.B,
                "url": "https://demo.stance.invalid/",
            },
        )[0]
        for lang, name in DEMO_SOURCES.items()
    }
    for dispatch in json.loads(DISPATCHES.read_text(encoding="utf-8")):
        text = dispatch["text"]
        article, created = Article.objects.get_or_create(
            canonical_url=dispatch["url"],
            defaults={
                "source": sources[dispatch["lang"]],
                "url": dispatch["url"],
                "title": dispatch["title"],
                "published_on": date.fromisoformat(dispatch["published"]),
                "language": dispatch["lang"],
                "text": text,
                "content_hash": hashlib.sha256(text.encode()).hexdigest(),
                "status": ArticleStatus.EXTRACTED,
            },
        )
        result.articles_created += created
        for row in dispatch["statements"]:
            start, end = quote_offsets(text=article.text, quote=row["quote"])
            if Statement.objects.filter(
                article=article,
                party=parties[row["party"]],
                issue=issues[row["issue"]],
                quote_start=start,
            ).exists():
                continue
            create_statement(
                article=article,
                party=parties[row["party"]],
                issue=issues[row["issue"]],
                value=row["value"],
                quote_start=start,
                quote_end=end,
                stated_on=date.fromisoformat(row["stated_on"]),
                speaker=actors[row["speaker"]] if row.get("speaker") else None,
                attribution=row["attribution"],
                reported_by=parties[row["reported_by"]] if row.get("reported_by") else None,
                credibility=row.get("credibility", 2),
                review_state=ReviewState.CONFIRMED,
                created_by=editor,
            )
            result.statements_created += 1
    return result


def _ensure_users(*, password: str, result: DemoResult) -> User:
    users = {}
    for username, group_name in DEMO_USERS.items():
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_staff": username == "admin"}
        )
        if created:
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=group_name))
            result.users_created += 1
        users[username] = user
    return users["editor"]
