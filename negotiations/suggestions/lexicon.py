"""A snapshot of the taxonomy and the lexicons, compiled for matching.

Built once from plain rows (see selectors.suggestion_lexicon) so that the extractor touches no
database while it reads sentences.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from negotiations.suggestions.language import Token, term_words

# "..." lets up to four words pass between two words of a term, "...." up to ten (for phrases
# such as "an ultimatum of two weeks to reach ... a ceasefire"). Determiners pass for free.
GAPS = {"...": 4, "....": 10}
# Endings a word of a term may carry in the text beyond its lemma (plurals, feminines).
_ENDINGS = ("s", "es", "x", "e")


@dataclass(frozen=True, slots=True)
class Match:
    start: int  # index of the first token
    end: int  # index after the last token
    payload: object
    term: str


@dataclass(frozen=True, slots=True)
class IssueTerm:
    issue: str
    value: int
    opposed_value: int | None
    conditional_value: int | None


def _word_matches(word: str, token: Token) -> bool:
    if word.endswith("*"):
        stem = word[:-1]
        return token.text.startswith(stem) or token.lemma.startswith(stem)
    if word == token.text or word == token.lemma:
        return True
    return token.text.startswith(word) and token.text[len(word) :] in _ENDINGS


class CueSet:
    """Terms of one kind in one language, found in a sentence's tokens."""

    def __init__(self, determiners: frozenset[str] = frozenset()) -> None:
        self._by_first: dict[str, list[tuple[list[str], object, str]]] = defaultdict(list)
        # Terms opening on a prefix ("accept*"), by the prefix's first three letters.
        self._by_prefix: dict[str, list[tuple[list[str], object, str]]] = defaultdict(list)
        self._determiners = determiners

    def add(self, term: str, payload: object = None) -> None:
        words = term_words(term)
        if not words or words[0] in GAPS:
            return
        entry = (words, payload, term)
        if words[0].endswith("*"):
            self._by_prefix[words[0][:3]].append(entry)
        else:
            self._by_first[words[0]].append(entry)

    def _candidates(self, token: Token):
        seen = set()
        keys = {token.text, token.lemma}
        for ending in _ENDINGS:
            if token.text.endswith(ending):
                keys.add(token.text[: -len(ending)])
        for key in keys:
            for entry in self._by_first.get(key, ()):
                if id(entry) not in seen:
                    seen.add(id(entry))
                    yield entry
        for key in {token.text[:3], token.lemma[:3]}:
            for entry in self._by_prefix.get(key, ()):
                if id(entry) not in seen and _word_matches(entry[0][0], token):
                    seen.add(id(entry))
                    yield entry

    def _match_at(self, words: list[str], tokens: Sequence[Token], wi: int, j: int) -> int:
        if wi == len(words):
            return j
        word = words[wi]
        if word in GAPS:
            skipped = 0
            k = j
            while k <= len(tokens):
                end = self._match_at(words, tokens, wi + 1, k)
                if end >= 0:
                    return end
                if k == len(tokens):
                    break
                if tokens[k].text not in self._determiners:
                    skipped += 1
                    if skipped > GAPS[word]:
                        break
                k += 1
            return -1
        while (
            j < len(tokens)
            and tokens[j].text in self._determiners
            and not _word_matches(word, tokens[j])
        ):
            j += 1
        if j < len(tokens) and _word_matches(word, tokens[j]):
            return self._match_at(words, tokens, wi + 1, j + 1)
        return -1

    def find(self, tokens: Sequence[Token]) -> list[Match]:
        found = []
        for i, token in enumerate(tokens):
            for words, payload, term in self._candidates(token):
                end = self._match_at(words, tokens, 1, i + 1)
                if end >= 0:
                    found.append(Match(i, end, payload, term))
        return found


# The kinds of cue (models.CueKind) matched in a sentence's tokens; the issue cues are "issue".
CUE_KINDS = (
    "issue",
    "stance",
    "negation",
    "conditional",
    "reporting",
    "source",
    "agent",
    "commentary",
    "clause_break",
    "coordinator",
    "subordinator",
    "obligation",
    "auxiliary",
    "precondition",
)


@dataclass
class LanguageCues:
    """One language's cues, matched in a single pass over a sentence's tokens."""

    terms: CueSet  # payloads are (kind, act or IssueTerm)
    prepositions: frozenset[str]
    determiners: frozenset[str]
    pronouns: frozenset[str]

    def find(self, tokens: Sequence[Token]) -> dict[str, list[Match]]:
        found: dict[str, list[Match]] = {kind: [] for kind in CUE_KINDS}
        for match in self.terms.find(tokens):
            kind, payload = match.payload
            found[kind].append(Match(match.start, match.end, payload, match.term))
        return found


@dataclass(frozen=True, slots=True)
class NameRef:
    """What an alias names: a party, an actor (with its party) or an office held over time."""

    kind: str  # "party", "actor" or "office"
    party: str
    actor: str | None = None
    tenures: tuple[tuple[str, date, date | None], ...] = ()

    def actor_on(self, on: date | None) -> str | None:
        if self.kind != "office":
            return self.actor
        held = [
            t for t in self.tenures if on is None or (t[1] <= on and (t[2] is None or on <= t[2]))
        ]
        if on is None:
            held = [t for t in held if t[2] is None]
        return max(held, key=lambda t: t[1])[0] if held else None


_WORD = re.compile(r"\w+")
# Names are looked up by the first letters of their first word, then matched in full there.
_KEY_LENGTH = 4


@dataclass
class Lexicon:
    version: str
    names: dict[str, list[tuple[re.Pattern[str], NameRef]]]
    languages: dict[str, LanguageCues] = field(default_factory=dict)

    def cues(self, lang: str) -> LanguageCues | None:
        return self.languages.get(lang)

    def name_matches(self, text: str):
        """(match, what it names) for every alias in the text, overlapping ones included."""
        for word in _WORD.finditer(text):
            for pattern, ref in self.names.get(word.group()[:_KEY_LENGTH].lower(), ()):
                match = pattern.match(text, word.start())
                if match is not None:
                    yield match, ref


_CYRILLIC = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
_SOFT_ENDINGS = "аяоеьйиыуюіїє"


def alias_pattern(alias: str, determiners: Iterable[str]) -> tuple[re.Pattern[str], str] | None:
    """A regular expression for an alias in running text, with its inflected forms.

    Returns the pattern and the key it is filed under. Leading determiners go ("le Kremlin" also
    finds "du Kremlin"); Latin names take possessive and
    plural or feminine endings ("Zelensky's", "russes", "ukrainienne"); Cyrillic names their case
    endings ("Путина", "Москвы", "Кремля"). Acronyms match exactly, case included.
    """
    words = alias.replace("’", "'").split()
    dets = {d.lower() for d in determiners}
    while len(words) > 1 and words[0].lower() in dets:
        words = words[1:]
    if words and "'" in words[0]:
        head, _, rest = words[0].partition("'")
        if head.lower() in dets and rest:
            words[0] = rest
    if not words:
        return None
    last = words[-1]
    acronym = last.isupper() and len(last) <= 4
    flags = 0 if acronym or (alias[:1].isupper() and not _CYRILLIC.search(last)) else re.IGNORECASE
    if acronym:
        suffix = ""
    elif _CYRILLIC.search(last):
        # Every word declines ("Дмитрия Пескова"), adjectival surnames on two letters
        # ("Зеленский" -> "Зеленского").
        stems = [_cyrillic_stem(w) for w in words]
        body = r"\s+".join(re.escape(w) + r"\w{0,3}" for w in stems)
        flags = re.IGNORECASE if alias[:1].islower() else 0
        return re.compile(rf"(?<![\w-]){body}(?!\w)", flags), stems[0][:_KEY_LENGTH].lower()
    else:
        suffix = r"(?:['’]s|s|e|es|ne|nes)?"
    body = r"\s+".join(re.escape(w).replace("'", "['’]") for w in words)
    return re.compile(rf"(?<![\w-]){body}{suffix}(?!\w)", flags), words[0][:_KEY_LENGTH].lower()


def _cyrillic_stem(word: str) -> str:
    stem = word
    while len(stem) > 4 and len(word) - len(stem) < 2 and stem[-1].lower() in _SOFT_ENDINGS:
        stem = stem[:-1]
    return stem


def build_lexicon(
    *,
    version: str,
    party_aliases: Iterable[tuple[str, str, str]],
    actors: Iterable[tuple[str, str, Iterable[str]]],
    offices: Iterable[tuple[str, Iterable[str], Iterable[tuple[str, date, date | None]]]],
    cues: Iterable[tuple[str, str, str, str]],
    issue_cues: Iterable[tuple[str, str, str, int, int | None, int | None]],
) -> Lexicon:
    """Compile the rows of the taxonomy and the lexicon.

    party_aliases: (party, alias, lang); actors: (slug, party, aliases); offices: (party, aliases,
    tenures as (actor, start, end)); cues: (kind, lang, term, act); issue_cues: (issue, lang,
    term, value, opposed_value, conditional_value).
    """
    by_kind: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for kind, lang, term, act in cues:
        by_kind[(lang, kind)].append((term.lower(), act))
    all_determiners = {
        t for (_, kind), rows in by_kind.items() if kind == "determiner" for t, _ in rows
    }

    names: dict[str, list[tuple[re.Pattern[str], NameRef]]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()

    def add_name(alias: str, ref: NameRef) -> None:
        key = (alias.lower(), ref.kind + ref.party + (ref.actor or ""))
        if key in seen:
            return
        seen.add(key)
        compiled = alias_pattern(alias, all_determiners)
        if compiled is not None:
            names[compiled[1]].append((compiled[0], ref))

    for party, alias, _lang in party_aliases:
        add_name(alias, NameRef("party", party))
    for slug, party, aliases in actors:
        for alias in aliases:
            add_name(alias, NameRef("actor", party, actor=slug))
    for party, aliases, tenures in offices:
        ref = NameRef("office", party, tenures=tuple(tenures))
        for alias in aliases:
            add_name(alias, ref)

    langs = {lang for lang, _ in by_kind} | {row[1] for row in issue_cues}
    issue_rows = defaultdict(list)
    for issue, lang, term, value, opposed, conditional in issue_cues:
        issue_rows[lang].append((term, IssueTerm(issue, value, opposed, conditional)))
    languages = {}
    for lang in langs:
        determiners = frozenset(t for t, _ in by_kind[(lang, "determiner")])
        terms = CueSet(determiners)
        for kind in CUE_KINDS[1:]:
            for term, act in by_kind[(lang, kind)]:
                terms.add(term, (kind, act or None))
        for term, payload in issue_rows[lang]:
            terms.add(term, ("issue", payload))
        languages[lang] = LanguageCues(
            terms=terms,
            prepositions=frozenset(t for t, _ in by_kind[(lang, "preposition")]),
            determiners=determiners,
            pronouns=frozenset(t for t, _ in by_kind[(lang, "pronoun")]),
        )
    return Lexicon(version=version, names=dict(names), languages=languages)
