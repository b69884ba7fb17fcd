"""Where statements come from: sources and the articles fetched from them.

This app knows nothing of the codebook; negotiations/ builds on it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
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
    # Feed polling. The next poll time lives here, not in beat, so that a duplicate trigger (two
    # beats, a re-delivered task) is resolved by a conditional UPDATE and fetches once.
    active = models.BooleanField(default=True)
    poll_interval_minutes = models.PositiveIntegerField(default=60)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_poll_status = models.CharField(max_length=500, blank=True)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)

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


TERMINAL_STATUSES = (ArticleStatus.EXTRACTED, ArticleStatus.DUPLICATE, ArticleStatus.FAILED)


class Origin(models.TextChoices):
    URL = "url", "Submitted URL"
    FEED = "feed", "Feed"
    UPLOAD = "upload", "Upload"
    PASTE = "paste", "Pasted text"
    IMPORT = "import", "Import"


class DuplicateKind(models.TextChoices):
    URL = "url", "Same canonical URL"
    EXACT = "exact", "Same text"
    NEAR = "near", "Near-duplicate (wire copy)"


class Article(models.Model):
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="articles"
    )
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.URL)
    url = models.URLField(max_length=2000, blank=True)
    canonical_url = models.URLField(max_length=2000, blank=True)
    # The outlet (host without www./m./amp.) counts independent carriers of a wire story.
    outlet = models.CharField(max_length=255, blank=True, db_index=True)
    title = models.CharField(max_length=500, blank=True)
    author = models.CharField(max_length=300, blank=True)
    published_on = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    # The feed's summary, sanitized with nh3: the only HTML kept.
    summary = models.TextField(blank=True)
    text = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the text.")
    minhash = ArrayField(models.BigIntegerField(), null=True, blank=True, editable=False)
    status = models.CharField(
        max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.QUEUED
    )
    # Indexed only where set (article_copies_idx): most articles are originals, and an index
    # holding their NULLs would tempt the planner into scanning all of them when deduplicating.
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="copies",
        db_index=False,
    )
    duplicate_kind = models.CharField(max_length=5, choices=DuplicateKind.choices, blank=True)
    failure_reason = models.TextField(blank=True)
    # Claims by the pipeline: attempts survive a killed worker, the lease keeps a re-delivered
    # message from running the same article twice at once.
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
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
            # Two workers storing the same text at once: the second one becomes a duplicate.
            models.UniqueConstraint(
                fields=["content_hash"],
                condition=~Q(content_hash="") & Q(duplicate_of__isnull=True),
                name="article_original_content_hash_unique",
            ),
            models.CheckConstraint(
                condition=Q(status="duplicate", duplicate_of__isnull=False)
                | (~Q(status="duplicate") & Q(duplicate_of__isnull=True)),
                name="article_duplicate_has_original",
            ),
        ]
        indexes = [
            models.Index(fields=["content_hash"], name="article_content_hash_idx"),
            models.Index(fields=["status", "lease_until"], name="article_status_lease_idx"),
            models.Index(
                fields=["duplicate_of"],
                condition=Q(duplicate_of__isnull=False),
                name="article_copies_idx",
            ),
        ]
        permissions = [("ingest_article", "Can submit URLs, uploads and feeds for ingestion")]

    def __str__(self) -> str:
        return self.title or self.url or f"Article {self.pk}"


class ArticleEvent(models.Model):
    """One row per step of an article's history: nothing about its progress is overwritten."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=10, choices=ArticleStatus.choices)
    message = models.TextField(blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)
    # How long the stage that this event closes took (fetch, extract+store), in milliseconds
    # with fractions (a loopback fetch takes less than one): the bench reads it.
    elapsed_ms = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.article_id} {self.status}: {self.message}"


class ArticleRevision(models.Model):
    """The text as extracted, with its hash and fetch time: the evidence statements quote."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    content_hash = models.CharField(max_length=64)
    fetched_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="revision_number_unique"),
        ]

    def __str__(self) -> str:
        return f"Article {self.article_id} revision {self.number}"


class ArticleBand(models.Model):
    """One MinHash LSH band key of an original article's text.

    Looking near-duplicates up by these indexed keys costs the same whatever the number of
    stored articles, unlike comparing the new text with every stored one.
    """

    # The unique (article, key) index serves look-ups by article: no second index to maintain.
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="bands", db_index=False
    )
    key = models.BigIntegerField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "key"], name="band_article_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.key}"


class ArticlePayload(models.Model):
    """What an editor uploaded or pasted, kept until (and after) the pipeline extracts it."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="payload")
    filename = models.CharField(max_length=300, blank=True)
    content_type = models.CharField(max_length=100)
    data = models.BinaryField()

    def __str__(self) -> str:
        return self.filename or f"Payload of article {self.article_id}"
