"""The codebook's vocabulary (parties, actors, issues, scales) and the statements coded in it.

The rules over statements (positions as of a date, shifts, concessions) live in selectors.py.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from simple_history.models import HistoricalRecords

from articles.models import Article

SCALE_MIN = -2
SCALE_MAX = 2


class Party(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    short_name = models.CharField(max_length=12)
    color = models.CharField(
        max_length=7, default="#555555", help_text="Hex colour used in charts."
    )
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "slug"]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return self.name


class PartyAlias(models.Model):
    """A name under which a party speaks or is spoken of: "Moscou", "the Kremlin", "Київ"."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=120)
    lang = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["party", "lang", "alias"]
        constraints = [
            models.UniqueConstraint(fields=["party", "alias", "lang"], name="party_alias_unique")
        ]
        verbose_name_plural = "party aliases"

    def __str__(self) -> str:
        return self.alias


class Actor(models.Model):
    """A person who speaks for a party."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="actors")

    class Meta:
        ordering = ["party", "name"]

    def __str__(self) -> str:
        return self.name


class ActorAlias(models.Model):
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=120)

    class Meta:
        ordering = ["actor", "alias"]
        constraints = [
            models.UniqueConstraint(fields=["actor", "alias"], name="actor_alias_unique")
        ]
        verbose_name_plural = "actor aliases"

    def __str__(self) -> str:
        return self.alias


class Office(models.Model):
    """A title such as "the US Secretary of State", held by different actors over time."""

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=160)
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="offices")

    class Meta:
        ordering = ["party", "title"]

    def __str__(self) -> str:
        return self.title


class OfficeAlias(models.Model):
    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=160)

    class Meta:
        ordering = ["office", "alias"]
        constraints = [
            models.UniqueConstraint(fields=["office", "alias"], name="office_alias_unique")
        ]
        verbose_name_plural = "office aliases"

    def __str__(self) -> str:
        return self.alias


class Tenure(models.Model):
    """Who held an office, from when, until when (open-ended while in office)."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="tenures")
    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="tenures")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["office", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="tenure_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor} as {self.office} from {self.start}"


class Issue(models.Model):
    """An issue of the negotiations with its five-stop scale.

    The scale runs from the low pole's maximal demand (-2) to the high pole's (+2): on the default
    issues Russia holds the low pole and Ukraine the high one, so moving up is "toward Ukraine's
    position" everywhere.
    """

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    low_pole_party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="low_pole_issues"
    )
    high_pole_party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="high_pole_issues"
    )
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(low_pole_party=F("high_pole_party")), name="issue_poles_differ"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ScaleStop(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="stops")
    value = models.SmallIntegerField()
    label = models.CharField(max_length=80)
    description = models.TextField()

    class Meta:
        ordering = ["issue", "value"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "value"], name="scale_stop_unique"),
            models.CheckConstraint(
                condition=Q(value__gte=SCALE_MIN, value__lte=SCALE_MAX),
                name="scale_stop_value_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value:+d} {self.label}"


class Attribution(models.TextChoices):
    OWN = "own", "Own words or acts"
    REPORTED = "reported", "Reported by another party"


class ReviewState(models.TextChoices):
    SUGGESTED = "suggested", "Suggested"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"


class Credibility(models.IntegerChoices):
    """The Admiralty code's grading of the information itself (1-6)."""

    CONFIRMED = 1, "1 - Confirmed by other sources"
    PROBABLY_TRUE = 2, "2 - Probably true"
    POSSIBLY_TRUE = 3, "3 - Possibly true"
    DOUBTFUL = 4, "4 - Doubtful"
    IMPROBABLE = 5, "5 - Improbable"
    CANNOT_BE_JUDGED = 6, "6 - Truth cannot be judged"


class Statement(models.Model):
    """That a party held a stance on an issue at a date, with the passage that shows it."""

    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="statements")
    issue = models.ForeignKey(Issue, on_delete=models.PROTECT, related_name="statements")
    # The composite foreign key (issue, value) -> scale stop is added in SQL by migration 0002:
    # a value is valid only if the issue's scale has that stop.
    value = models.SmallIntegerField()
    stated_on = models.DateField()
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="statements")
    quote = models.TextField()
    quote_start = models.PositiveIntegerField()
    quote_end = models.PositiveIntegerField()
    speaker = models.ForeignKey(
        Actor, on_delete=models.PROTECT, null=True, blank=True, related_name="statements"
    )
    attribution = models.CharField(
        max_length=8, choices=Attribution.choices, default=Attribution.OWN
    )
    reported_by = models.ForeignKey(
        Party, on_delete=models.PROTECT, null=True, blank=True, related_name="reported_statements"
    )
    credibility = models.PositiveSmallIntegerField(
        choices=Credibility.choices, default=Credibility.CANNOT_BE_JUDGED
    )
    review_state = models.CharField(
        max_length=10, choices=ReviewState.choices, default=ReviewState.SUGGESTED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for machine suggestions.",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    extractor_version = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=300, blank=True, help_text="Which cues fired.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The outlet edited the article and the quote is no longer in its current text; it stands in
    # the article's earlier revisions (articles.ArticleRevision), and the offsets refer to those.
    quote_missing = models.BooleanField(default=False)
    # Optimistic locking: an edit names the version it started from, and fails if it moved.
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["stated_on", "id"]
        indexes = [
            models.Index(
                fields=["party", "issue", "stated_on"],
                condition=Q(review_state="confirmed"),
                name="statement_confirmed_idx",
            ),
            models.Index(
                fields=["issue", "stated_on"],
                condition=Q(review_state="confirmed"),
                name="statement_issue_day_idx",
            ),
            models.Index(fields=["stated_on"], name="statement_stated_on_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=SCALE_MIN, value__lte=SCALE_MAX),
                name="statement_value_range",
            ),
            models.CheckConstraint(
                condition=Q(quote_end__gt=F("quote_start"))
                & Q(quote_end=F("quote_start") + Length("quote")),
                name="statement_quote_offsets",
            ),
            models.CheckConstraint(
                condition=(Q(attribution="own") & Q(reported_by__isnull=True))
                | (
                    Q(attribution="reported")
                    & Q(reported_by__isnull=False)
                    & ~Q(reported_by=F("party"))
                ),
                name="statement_reported_by",
            ),
            models.CheckConstraint(
                condition=Q(credibility__gte=1, credibility__lte=6),
                name="statement_credibility_range",
            ),
            models.CheckConstraint(
                condition=Q(review_state__in=ReviewState.values), name="statement_review_state"
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=0.0, confidence__lte=1.0),
                name="statement_confidence_range",
            ),
            # The suggester proposes each stance once per article: a re-run that raced another
            # cannot double the editors' queue.
            models.UniqueConstraint(
                fields=["article", "party", "issue", "value", "attribution", "reported_by"],
                condition=Q(review_state="suggested")
                & Q(created_by__isnull=True)
                & ~Q(extractor_version=""),
                nulls_distinct=False,
                name="statement_suggestion_unique",
            ),
        ]
        permissions = [
            ("export_statement", "Can export statements and shifts"),
            ("tag_article", "Can tag articles: accept, correct and reject statements"),
        ]

    def __str__(self) -> str:
        return f"{self.party.short_name} {self.issue.slug} {self.value:+d} on {self.stated_on}"


class ShiftKind(models.TextChoices):
    CONCESSION = "concession", "Concession"
    HARDENING = "hardening", "Hardening"
    TOWARD_HIGH = "toward_high", "Toward the high pole's position"
    TOWARD_LOW = "toward_low", "Toward the low pole's position"
    MIXED = "mixed", "Mixed (the range changed on both sides)"


class Shift(models.Model):
    """A change of a party's confirmed position on an issue between two consecutive days.

    Rows are derived: selectors.compute_shifts() is the rule, and services.refresh_shifts()
    stores its result for a (party, issue) whenever one of its statements changes, so that the
    feed reads an index instead of recomputing a million statements per page.
    """

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="shifts")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="shifts")
    from_on = models.DateField()
    to_on = models.DateField()
    from_low = models.SmallIntegerField()
    from_high = models.SmallIntegerField()
    to_low = models.SmallIntegerField()
    to_high = models.SmallIntegerField()
    size = models.PositiveSmallIntegerField()
    direction = models.CharField(max_length=5)  # up, down or mixed
    kind = models.CharField(max_length=12, choices=ShiftKind.choices)
    statement_ids = ArrayField(models.BigIntegerField(), help_text="Evidence: statements of to_on.")

    class Meta:
        ordering = ["-to_on", "party", "issue"]
        constraints = [
            models.UniqueConstraint(fields=["party", "issue", "to_on"], name="shift_unique_day"),
            models.CheckConstraint(condition=Q(to_on__gt=F("from_on")), name="shift_in_order"),
        ]
        indexes = [
            models.Index(fields=["-to_on"], name="shift_to_on_idx"),
            models.Index(fields=["party", "-to_on"], name="shift_party_idx"),
            models.Index(fields=["issue", "-to_on"], name="shift_issue_idx"),
            models.Index(fields=["kind", "-to_on"], name="shift_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.party.short_name} {self.issue.slug} {self.kind} on {self.to_on}"

    @property
    def from_value(self) -> int | tuple[int, int]:
        return self.from_low if self.from_low == self.from_high else (self.from_low, self.from_high)

    @property
    def to_value(self) -> int | tuple[int, int]:
        return self.to_low if self.to_low == self.to_high else (self.to_low, self.to_high)


class TaggingState(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    TAGGED = "tagged", "Tagged"


class ArticleTagging(models.Model):
    """Where the editors are with an article. Absent means new."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="tagging"
    )
    state = models.CharField(max_length=12, choices=TaggingState.choices, default=TaggingState.NEW)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["state"], name="tagging_state_idx")]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.state}"


class ArticleClaim(models.Model):
    """An editor has the article open: others see who is working on it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="claims")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="article_claim_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.article_id}"


class CueKind(models.TextChoices):
    """What a cue tells the stance suggester (see docs/suggestions.md)."""

    STANCE = "stance", "Stance (a party holds or rejects a position)"
    NEGATION = "negation", "Negation (flips the stance cue next to it)"
    CONDITIONAL = "conditional", "Conditional (opens a clause that is only hypothetical)"
    REPORTING = "reporting", "Reporting (someone says or reports it)"
    COMMENTARY = "commentary", "Commentary (an analyst, expert or the writer: no party stance)"
    SOURCE = "source", "Source marker (selon, according to: the reporter is named after it)"
    AGENT = "agent", "Agent marker (par, by: names who did what the verb before it says)"
    PRONOUN = "pronoun", "Subject pronoun (the holder is the one of the sentence before)"
    CLAUSE_BREAK = "clause_break", "Clause break (a new holder may start after it)"
    COORDINATOR = "coordinator", "Coordinator (and, or: joins two positions under one stance)"
    SUBORDINATOR = "subordinator", "Subordinator (that, que: the holder named after it speaks)"
    OBLIGATION = "obligation", "Obligation (should, must: what the speaker wants another to do)"
    AUXILIARY = "auxiliary", "Auxiliary (has, a, hat: stands between a subject and its verb)"
    PRECONDITION = "precondition", "Precondition (until, tant que: what follows is required)"
    PREPOSITION = "preposition", "Preposition (a party named right after it is not the holder)"
    DETERMINER = "determiner", "Determiner (dropped in front of party and office aliases)"


class StanceAct(models.TextChoices):
    DEMAND = "demand", "demand"
    PROPOSE = "propose", "propose"
    ACCEPT = "accept", "accept"
    INSIST = "insist", "insist"
    IMPOSE = "impose", "impose"
    THREATEN = "threaten", "threaten"
    REFUSE = "refuse", "refuse"
    ABANDON = "abandon", "abandon"


CUE_TERM_HELP = (
    "Words as they appear or as their lemma (accepter matches accepte, accepté...), lower case. "
    "A word ending in * matches any word it begins; ... lets up to four words pass between two "
    "words, .... up to ten (determiners pass free)."
)


class Cue(models.Model):
    """A word or phrase of the stance suggester's lexicon, in one language."""

    kind = models.CharField(max_length=16, choices=CueKind.choices)
    lang = models.CharField(max_length=8)
    term = models.CharField(max_length=120, help_text=CUE_TERM_HELP)
    act = models.CharField(
        max_length=10,
        choices=StanceAct.choices,
        blank=True,
        help_text="For stance cues: refuse and abandon oppose what follows, the others hold it.",
    )

    class Meta:
        ordering = ["kind", "lang", "term"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "lang", "term"], name="cue_unique"),
            models.CheckConstraint(
                condition=(Q(kind="stance") & ~Q(act="")) | (~Q(kind="stance") & Q(act="")),
                name="cue_act_only_for_stance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} [{self.lang}] {self.term}"


class IssueCue(models.Model):
    """A phrase naming a position on an issue's scale: "land swaps" is donbas at -1.

    `value` is the stop of a party that holds the position (demands, accepts, proposes it);
    `opposed_value` the stop of a party that refuses or abandons it (empty: refusing it says
    nothing codable); `conditional_value` the stop when it is held only under a condition
    ("sanctions if there is no progress" is a threat, +1, not new sanctions, +2).
    """

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="cues")
    lang = models.CharField(max_length=8)
    term = models.CharField(max_length=120, help_text=CUE_TERM_HELP)
    value = models.SmallIntegerField()
    opposed_value = models.SmallIntegerField(null=True, blank=True)
    conditional_value = models.SmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["issue", "lang", "value", "term"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "lang", "term"], name="issue_cue_unique"),
            models.CheckConstraint(
                condition=Q(value__gte=SCALE_MIN, value__lte=SCALE_MAX)
                & (
                    Q(opposed_value__isnull=True)
                    | Q(opposed_value__gte=SCALE_MIN, opposed_value__lte=SCALE_MAX)
                )
                & (
                    Q(conditional_value__isnull=True)
                    | Q(conditional_value__gte=SCALE_MIN, conditional_value__lte=SCALE_MAX)
                ),
                name="issue_cue_values_on_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issue.slug} {self.value:+d} [{self.lang}] {self.term}"
