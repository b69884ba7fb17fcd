"""Where statements come from: sources and the articles fetched from them.

This app knows nothing of the codebook; negotiations/ builds on it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class SourceKind(models.TextChoices):
    FEED = "feed", "Feed (RSS or Atom)"
    SITE = "site", "Web site"
    MANUAL = "manual", "Manual entry"


class Reliability(models.TextChoices):
    """The Admiralty code's grading of the source (A-F)."""

    A = "A", "A - Completely reliable"
    B = "B", "B - Usually reliable"
    C = "C", "C - Fairly reliable"
    D = "D", "D - Not usually reliable"
    E = "E", "E - Unreliable"
    F = "F", "F - Reliability cannot be judged"


class Source(models.Model):
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=8, choices=SourceKind.choices, default=SourceKind.SITE)
    url = models.URLField(max_length=2000, blank=True)
    language = models.CharField(max_length=8, blank=True)
    reliability = models.CharField(max_length=1, choices=Reliability.choices, default=Reliability.F)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArticleStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    FETCHED = "fetched", "Fetched"
    EXTRACTED = "extracted", "Extracted"
    DUPLICATE = "duplicate", "Duplicate"
    FAILED = "failed", "Failed"


class Article(models.Model):
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="articles"
    )
    url = models.URLField(max_length=2000, blank=True)
    canonical_url = models.URLField(max_length=2000, blank=True)
    title = models.CharField(max_length=500, blank=True)
    published_on = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    text = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the text.")
    status = models.CharField(
        max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.QUEUED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["canonical_url"],
                condition=~Q(canonical_url=""),
                name="article_canonical_url_unique",
            ),
        ]
        indexes = [models.Index(fields=["content_hash"], name="article_content_hash_idx")]
        permissions = [("ingest_article", "Can submit URLs, uploads and feeds for ingestion")]

    def __str__(self) -> str:
        return self.title or self.url or f"Article {self.pk}"
