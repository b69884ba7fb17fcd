"""From an article's text to the stance statements an editor would tag.

Sentence by sentence: the parties and actors named (through their aliases, titles resolved at
the article's date), the issue cues (each naming a stop on an issue's scale), the stance cues
that hold or refuse them (with their negations), conditional clauses, reported speech and
commentary. The holder of a stance is the party that takes it: the subject before the stance
cue in its clause, the agent of a passive, the speaker of reported words, or the subject of the
sentence before when a pronoun stands for it. See docs/suggestions.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from negotiations.suggestions.language import Token, detect_language, sentence_spans, tokens
from negotiations.suggestions.lexicon import IssueTerm, LanguageCues, Lexicon, Match, NameRef

# Acts by which a party turns away from the position named after them (see models.StanceAct).
_OPPOSING = frozenset({"refuse", "abandon"})
# A reporting verb that carries a position on its own ("Lavrov said the agenda is not ready")
# needs an issue phrase at least this long, so that "said the ceasefire talks" is no stance.
_MIN_WORDS_WITHOUT_STANCE_CUE = 2


@dataclass(frozen=True, slots=True)
class Suggestion:
    party: str
    issue: str
    value: int
    start: int
    end: int
    quote: str
    speaker: str | None
    attribution: str  # "own" or "reported"
    reported_by: str | None
    stated_on: date | None
    confidence: float
    reason: str


@dataclass(slots=True)
class Mention:
    start: int
    end: int
    ref: NameRef
    text: str
    first: int = 0  # index of its first token in the sentence
    last: int = 0  # index after its last token
    is_object: bool = False  # named right after a preposition: "talks with Putin"
    is_topic: bool = False  # named as what an issue phrase is about: "Zelensky's legitimacy"
    is_agent: bool = False  # named after "by"/"par": who did it, not the clause's subject


def find_mentions(*, text: str, lexicon: Lexicon) -> list[Mention]:
    """Every party, actor and office named in the text; the longest wins where names overlap."""
    found = [Mention(m.start(), m.end(), ref, m.group()) for m, ref in lexicon.name_matches(text)]
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[Mention] = []
    for mention in found:
        if kept and mention.start < kept[-1].end:
            continue
        kept.append(mention)
    return kept


def extract_suggestions(
    *,
    text: str,
    lexicon: Lexicon,
    lang: str | None = None,
    published: date | None = None,
) -> list[Suggestion]:
    """The stance statements the text supports, one per party, issue, value and attribution."""
    # "fr", "fr-FR" and "FR" are one language; none given, it is identified.
    lang = (lang or "").lower()[:2] or detect_language(text=text)
    cues = lexicon.cues(lang) or lexicon.cues("en")
    if cues is None:
        return []
    mentions = find_mentions(text=text, lexicon=lexicon)
    found: list[Suggestion] = []
    carried: Mention | None = None
    index = 0
    for start, end in sentence_spans(text=text):
        while index < len(mentions) and mentions[index].start < start:
            index += 1
        in_sentence = []
        while index < len(mentions) and mentions[index].end <= end:
            in_sentence.append(mentions[index])
            index += 1
        reader = _Sentence(
            text=text,
            start=start,
            end=end,
            tokens=tokens(text=text, start=start, end=end, lang=lang),
            mentions=in_sentence,
            cues=cues,
            published=published,
            carried=carried,
        )
        found.extend(reader.suggestions())
        carried = reader.subject or carried
    best: dict[tuple, Suggestion] = {}
    for suggestion in found:
        key = (
            suggestion.party,
            suggestion.issue,
            suggestion.value,
            suggestion.attribution,
            suggestion.reported_by,
        )
        if key not in best or suggestion.confidence > best[key].confidence:
            best[key] = suggestion
    return sorted(best.values(), key=lambda s: (s.start, s.party, s.issue))


class _Sentence:
    def __init__(
        self,
        *,
        text: str,
        start: int,
        end: int,
        tokens: Sequence[Token],
        mentions: list[Mention],
        cues: LanguageCues,
        published: date | None,
        carried: Mention | None,
    ) -> None:
        self.text, self.start, self.end = text, start, end
        self.tokens = tokens
        self.mentions = mentions
        self.cues = cues
        self.published = published
        self.carried = carried
        self.subject: Mention | None = None
        self.inside_phrase: Match | None = None  # names inside it may not hold the stance
        self._place_mentions()

    # -- reading --------------------------------------------------------------------------

    def _place_mentions(self) -> None:
        toks = self.tokens
        for mention in self.mentions:
            mention.first = next(
                (i for i, t in enumerate(toks) if t.end > mention.start), len(toks)
            )
            mention.last = next(
                (i for i, t in enumerate(toks) if t.start >= mention.end), len(toks)
            )
            k = self._skip_back(mention.first - 1)
            mention.is_object = k >= 0 and toks[k].text in self.cues.prepositions
        self.subject = next((m for m in self.mentions if not m.is_object), None)

    def _skip_back(self, k: int) -> int:
        while k >= 0 and self.tokens[k].text in self.cues.determiners:
            k -= 1
        return k

    def _skip_forward(self, k: int) -> int:
        while k < len(self.tokens) and self.tokens[k].text in self.cues.determiners:
            k += 1
        return k

    def _mention_at(self, k: int) -> Mention | None:
        k = self._skip_forward(k)
        return next((m for m in self.mentions if m.first == k), None)

    def suggestions(self) -> list[Suggestion]:
        cues, toks = self.cues, self.tokens
        if not toks or (not self.mentions and self.carried is None):
            return []
        found = cues.find(toks)
        issues = found["issue"]
        if not issues or found["commentary"]:
            return []
        self.agents = found["agent"]
        self.obligations = {m.start for m in found["obligation"]}
        self.auxiliaries = {k for m in found["auxiliary"] for k in range(m.start, m.end)}
        conditions = [*found["conditional"], *found["precondition"]]
        self._layout(found)
        self.stance = _widest(s for s in found["stance"] if not self.hypothetical[s.start])

        chosen = self._choose(m for m in issues if not self.hypothetical[m.start])
        self._mark_mentions(chosen, found["coordinator"])
        self.verbs = found["reporting"]
        self.negated, self.issue_negated = self._negations(chosen, found["negation"])
        self.reporter, self.reporting, self.reporter_scope = self._reporter(
            found["source"], found["reporting"]
        )
        self.coordinators = found["coordinator"]
        self.subordinators = {k for m in found["subordinator"] for k in range(m.start, m.end)}
        conditioned = self._conditioned(chosen, conditions)

        # (suggestion, where its phrase starts, whether it rests on a cue of its own)
        results: list[tuple[Suggestion, int, bool]] = []
        previous: Match | None = None
        previous_governing: list[Match] = []
        last_governing: list[Match] = []
        for issue in chosen:
            clause = self.clause[issue.start]
            if previous is not None and self.clause[previous.start] != clause:
                previous, previous_governing = None, []
            governing = self._governing(issue, previous, chosen)
            refines = False
            if not governing and previous is not None and previous_governing:
                joined = any(
                    previous.end <= c.start and c.end <= issue.start for c in self.coordinators
                )
                if joined:
                    governing = previous_governing
                    # "a meeting ... at any time and without preconditions" says it more exactly.
                    refines = previous.payload.issue == issue.payload.issue
            # "ready to meet Zelensky, but only to sign an agreement": a clause with neither
            # stance cue nor holder of its own narrows the stance of the clause before.
            narrows = (
                not governing
                and bool(last_governing)
                and self.clause[last_governing[0].start] < clause
                and not any(
                    self._usable(m) for m in self.mentions if self.clause[m.first] == clause
                )
            )
            if narrows:
                governing = last_governing
            spoken = False
            if (
                not governing
                and self.reporting is not None
                and len(issue.term.split()) >= _MIN_WORDS_WITHOUT_STANCE_CUE
                and self.clause[self.reporting.start] == clause
            ):
                governing = [Match(self.reporting.start, self.reporting.end, "accept", "")]
                spoken = True
            previous, previous_governing = issue, governing
            if not governing:
                continue
            if not spoken:
                last_governing = governing
            condition = issue.start in conditioned
            main = self._suggest(issue, governing, spoken, has_condition=condition)
            if narrows or refines:
                narrowed = {(s.party, s.issue) for s in main}
                results = [r for r in results if (r[0].party, r[0].issue) not in narrowed]
            own_cue = not spoken and any(not _inside(c, issue) for c in governing)
            results.extend((s, issue.start, own_cue) for s in main)
            # "a ceasefire proposed by Trump", "a ceasefire, which Moscow rejected": a stance cue
            # after the phrase, with a holder of its own.
            taken = {s.party for s in main}
            following = [m.start for m in chosen if m.start >= issue.end]
            upper = following[0] if following else len(self.tokens)
            for cue in self.stance:
                if (
                    cue in governing
                    or self.clause[cue.start] != clause
                    or not issue.end <= cue.start < upper
                ):
                    continue
                holder = self._relative_holder(issue, cue)
                if holder is not None and holder.ref.party not in taken:
                    extra = self._suggest(
                        issue, [cue], False, has_condition=condition, holder=holder
                    )
                    results.extend((s, issue.start, True) for s in extra)
                    taken |= {s.party for s in extra}
        results.extend((s, len(self.tokens), True) for s in self._ultimatums(issues))
        # "a meeting between Putin and Zelensky was possible only at the final stage": a phrase
        # that only names the topic gives way to a later one that says where the party stands.
        return [
            s
            for s, start, own_cue in results
            if own_cue
            or not any(
                (o.party, o.issue) == (s.party, s.issue) and o.value != s.value and later > start
                for o, later, _ in results
            )
        ]

    def _mark_mentions(self, chosen: list[Match], coordinators: list[Match]) -> None:
        agent_ends = {self._skip_forward(a.end) for a in self.agents}
        coordinator_ends = {self._skip_forward(c.end) for c in coordinators}
        toks = self.tokens
        for mention in self.mentions:
            # "Zelensky's legitimacy": the party is what the phrase is about, not its holder.
            k = mention.last
            possessive = k < len(toks) and toks[k].text == "s"
            mention.is_topic = possessive and any(m.start == k + 1 for m in chosen)
            mention.is_agent = mention.first in agent_ends
            # "entre Vladimir Poutine et Volodymyr Zelensky": both are objects.
            before = self._skip_back(mention.first - 1)
            joined = next((m for m in self.mentions if before - 1 <= m.last <= before), None)
            if mention.first in coordinator_ends and joined is not None and joined.is_object:
                mention.is_object = True

    def _conditioned(self, chosen: list[Match], conditions: list[Match]) -> set[int]:
        """Where the phrases a condition qualifies start: the nearest of its clause. In "a new
        package of sanctions and a reassurance force once the fighting stops" only the force
        waits."""
        conditioned: set[int] = set()
        for condition in conditions:
            near = [m for m in chosen if self.clause[m.start] == self.clause[condition.start]]
            if near:
                nearest = min(
                    near,
                    key=lambda m: min(abs(m.start - condition.end), abs(condition.start - m.end)),
                )
                conditioned.add(nearest.start)
        return conditioned

    def _preconditions(self, issues: list[Match]) -> list[Suggestion]:
        """ "No ceasefire until the root causes are addressed": the holder of the sentence's
        stance requires what the precondition names, at the phrase's own value."""
        required = [m for m in issues if self.required[m.start]]
        main = [s for s in self.stance if not self.required[s.start]]
        cue = main[0] if main else self.reporting  # "Ushakov said Russia would not discuss..."
        if not required or cue is None:
            return []
        holder, how = self._holder(cue)
        if holder is None:
            return []
        return [
            self._statement(
                issue, issue.payload, issue.payload.value, [cue], cue, holder, how, False, True
            )
            for issue in self._choose(required)
        ]

    def _ultimatums(self, issues: list[Match]) -> list[Suggestion]:
        """ "Sanctions if there is no ceasefire within two weeks": who threatens demands what the
        condition names, as an ultimatum (the phrase's conditional value)."""
        threats = [s for s in self.stance if s.payload == "threaten"]
        if not threats:
            return self._preconditions(issues)
        holder, how = self._holder(threats[0])
        if holder is None:
            return []
        found = []
        conditioned = (
            m
            for m in issues
            if self.hypothetical[m.start]
            and not self.required[m.start]
            and m.payload.conditional_value is not None
        )
        for issue in self._choose(conditioned):
            term: IssueTerm = issue.payload
            if term.conditional_value is not None:
                found.append(
                    self._statement(
                        issue,
                        term,
                        term.conditional_value,
                        threats,
                        threats[0],
                        holder,
                        how,
                        False,
                        True,
                    )
                )
        return found

    def _layout(self, found: dict[str, list[Match]]) -> None:
        """Commas, clauses (split at clause breaks) and the stretches a condition makes only
        hypothetical ("If Russia accepted a ceasefire, ...": up to the comma)."""
        toks = self.tokens
        n = len(toks)
        self.comma_before = [False] * (n + 1)
        for k in range(1, n):
            gap = self.text[toks[k - 1].end : toks[k].start]
            self.comma_before[k] = "," in gap or ":" in gap
        self.clause = [0] * (n + 1)
        self.breaks = breaks = {k for b in found["clause_break"] for k in range(b.start, b.end)}
        # ", and Ukrainian officials say...": after a comma, "and" opens a clause of its own.
        breaks |= {c.start for c in found["coordinator"] if self.comma_before[c.start]}
        current = 0
        for k in range(n + 1):
            if k in breaks:
                current += 1
            self.clause[k] = current
        self.hypothetical = [False] * (n + 1)
        self.required = [False] * (n + 1)  # inside "until ...": what the holder requires
        for condition in (*found["conditional"], *found["precondition"]):
            required = condition in found["precondition"]
            k = condition.start
            while k < n and not (k > condition.start and (self.comma_before[k] or k in breaks)):
                self.hypothetical[k] = True
                self.required[k] = required
                k += 1

    def _choose(self, issues) -> list[Match]:
        """Issue phrases that do not overlap, the longest first: "the threat of new sanctions"
        (+1) rather than "new sanctions" (+2)."""
        kept: list[Match] = []
        for match in sorted(issues, key=lambda m: (m.start - m.end, m.start)):
            if all(match.end <= k.start or k.end <= match.start for k in kept):
                kept.append(match)
        return sorted(kept, key=lambda m: m.start)

    def _negations(
        self, issues: list[Match], negations: list[Match]
    ) -> tuple[dict[int, int], set[int]]:
        """How many negations bear on each stance cue (by index in self.stance), and which issue
        phrases (by start) a negation bears on directly ("can never join NATO")."""
        counts: dict[int, int] = {}
        negated_issues: set[int] = set()
        pending: Match | None = None  # "aucun accord ... sans la reconnaissance": two cancel
        for negation in negations:
            word = self.tokens[negation.start].text
            if any(
                i.start <= negation.start < i.end and word in i.term.split()
                for i in (*issues, *self.stance)
            ):
                continue  # "no territorial concessions", "no question of" are phrases of their own
            target = None
            for idx, cue in enumerate(self.stance):
                if cue.end == negation.start:
                    target = idx  # French: "n'accepte pas"
            if target is None:
                # "ne renoncerait à aucun de ses territoires": a negation inside a phrase bears
                # on the phrase's own verb.
                around = next((i for i in issues if i.start <= negation.start < i.end), None)
                inside = [
                    idx
                    for idx, cue in enumerate(self.stance)
                    if around is not None and _inside(cue, around) and cue.end <= negation.start
                ]
                target = inside[-1] if inside else None
            if target is None:
                ahead = [
                    idx
                    for idx, cue in enumerate(self.stance)
                    if negation.end <= cue.start < negation.end + 4
                ]
                target = ahead[0] if ahead else None
            if pending is not None and self.clause[pending.start] == self.clause[negation.start]:
                pending = None
                continue
            if target is not None:
                counts[target] = counts.get(target, 0) + 1
                continue
            bearing = next((i for i in issues if negation.end <= i.start <= negation.end + 2), None)
            if bearing is not None:
                negated_issues ^= {bearing.start}
            else:
                pending = negation
        return counts, negated_issues

    def _reporter(
        self, sources: list[Match], verbs: list[Match]
    ) -> tuple[Mention | None, Match | None, int]:
        """Who reports what the sentence says, the reporting verb when there is one, and the
        first clause the report covers ("X demands..., while Y insists that..." covers the
        second clause only)."""
        for source in sources:
            k = source.end
            for _ in range(3):
                mention = self._mention_at(k)
                if mention is not None:
                    return mention, source, 0
                k = self._skip_forward(k) + 1
        for verb in verbs:
            if self.hypothetical[verb.start]:
                continue
            for agent in self.agents:
                if verb.end <= agent.start <= verb.end + 1:
                    mention = self._mention_at(agent.end)
                    if mention is not None:
                        return mention, None, 0
            after = [
                m for m in self.mentions if verb.end <= m.first <= verb.end + 2 and not m.is_object
            ]
            inverted = self.comma_before[verb.start] or (
                verb.start > 0 and self.comma_before[verb.start - 1]
            )
            if after and inverted:
                return after[0], verb, 0  # « ... », a déclaré Zelensky
            before = [
                m
                for m in self.mentions
                if m.last <= verb.start
                and not m.is_object
                and not m.is_topic
                and not self.hypothetical[m.first]
            ]
            segment = max((k for k in range(verb.start + 1) if self.comma_before[k]), default=0)
            in_segment = [m for m in before if m.first >= segment]
            # "Trump, who has threatened Russia, said", "Lavrov, a affirmé": only auxiliaries
            # between the comma and the verb.
            apposition = all(k in self.auxiliaries for k in range(segment, verb.start))
            if in_segment:
                return in_segment[-1], verb, self.clause[verb.start]
            # "..., officials said": someone unnamed reports; the names before are not it. But
            # "European leaders, meeting in Copenhagen, agreed to ... and said" is their subject.
            unnamed = not apposition and segment > 0 and verb.start - segment <= 3
            if before and not unnamed:
                return before[0], verb, self.clause[verb.start]
            if after:
                return after[0], verb, 0
        # "« ... », a-t-il déclaré", "he said": the one the sentence before spoke of.
        if self.carried is not None:
            for verb in verbs:
                near = self.tokens[max(0, verb.start - 2) : verb.end + 2]
                if any(self._is_pronoun(t) for t in near) and not self.hypothetical[verb.start]:
                    # "Zelensky, for his part, has said he...": the subject of this sentence.
                    own = [
                        m
                        for m in self.mentions
                        if m.last <= verb.start and not m.is_object and not m.is_topic
                    ]
                    return (own[0] if own else self.carried), verb, 0
        return None, None, 0

    def _is_pronoun(self, token: Token) -> bool:
        return (
            token.text in self.cues.pronouns or token.text.rpartition("-")[2] in self.cues.pronouns
        )

    def _governing(self, issue: Match, previous: Match | None, ordered: list[Match]) -> list[Match]:
        """The stance cues that bear on an issue phrase, in order."""
        clause = self.clause[issue.start]
        lower = previous.end if previous is not None else 0
        # "a dénoncé des exigences inacceptables et rappelé que l'Ukraine ne renoncerait...":
        # what was said starts after the verb that says it.
        lower = max(
            [lower]
            + [
                v.end
                for v in self.verbs
                if v.end <= issue.start
                and (v.end in self.subordinators or v.end + 1 in self.subordinators)
            ]
        )
        in_clause = [s for s in self.stance if self.clause[s.start] == clause]
        before = [s for s in in_clause if lower <= s.start < issue.end]
        if any(not _inside(s, issue) for s in before):
            return before
        following = [m.start for m in ordered if m.start >= issue.end]
        upper = following[0] if following else len(self.tokens)
        # A cue after the phrase with a subject of its own ("..., a position Kyiv rejected")
        # is that subject's stance, not a second word on this one.
        return before + [
            s
            for s in in_clause
            if issue.end <= s.start < upper and self._relative_holder(issue, s) is None
        ]

    def _polarity(self, issue: Match, governing: list[Match]) -> int:
        polarity = -1 if issue.start in self.issue_negated else 1
        for cue in governing:
            if cue.payload in _OPPOSING and not _inside(cue, issue):
                polarity = -polarity
            idx = next((i for i, s in enumerate(self.stance) if s is cue), None)
            if idx is not None and self.negated.get(idx, 0) % 2:
                polarity = -polarity
        return polarity

    def _usable(self, mention: Mention) -> bool:
        phrase = self.inside_phrase
        return (
            not (phrase is not None and phrase.start <= mention.first < phrase.end)
            and not mention.is_object
            and not mention.is_topic
            and not mention.is_agent
            and mention is not self.reporter
            and not self.hypothetical[mention.first]
        )

    def _reporter_for(self, cue: Match) -> Mention | None:
        if self.reporter is not None and self.clause[cue.start] >= self.reporter_scope:
            return self.reporter
        return None

    def _holder(self, cue: Match) -> tuple[Mention | None, str]:
        for agent in self.agents:
            if cue.end <= agent.start <= cue.end + 1:
                mention = self._mention_at(agent.end)
                if mention is not None and mention is not self.reporter:
                    return mention, "agent"
        after = self._skip_forward(cue.end)
        for mention in self.mentions:
            # "les concessions russes", "la proposition américaine": the adjective after a noun.
            if mention.first == after and mention.text[:1].islower() and self._usable(mention):
                return mention, "attribute"
        clause = self.clause[cue.start]
        verb = self.reporting
        reporter = self._reporter_for(cue)
        if verb is not None and verb.end <= cue.start and self.clause[verb.start] == clause:
            said = [
                m
                for m in self.mentions
                if verb.end <= m.first and m.last <= cue.start and self._usable(m)
            ]
            if said:
                return said[0], "reported subject"  # "X said [that] Y would...": Y
            if reporter is not None:
                return reporter, "speaker"
        in_clause = [
            m for m in self.mentions if m.last <= cue.start and self.clause[m.first] == clause
        ]
        usable = [m for m in in_clause if self._usable(m)]
        if usable:
            # A subject opens its clause or follows "that": "..., repeating its demand that
            # Kyiv withdraw" speaks for the subject of the sentence, not for "Ukraine" in
            # "allowed Ukraine to rearm".
            subjects = [m for m in usable if self._subject_like(m)]
            if subjects:
                return subjects[-1], "subject"
        # The one who says it speaks for itself ("Trump, who..., said he would impose"), unless
        # it only reports ("les concessions russes évoquées par Vance").
        if (
            reporter is not None
            and self.reporting in self.verbs
            and reporter.last <= cue.start
            and self.clause[reporter.first] == clause
        ):
            return reporter, "speaker"
        earlier = [
            m
            for m in self.mentions
            if m.last <= cue.start and self._usable(m) and self._subject_like(m)
        ]
        if earlier:
            return earlier[-1], "subject"
        if usable:
            return usable[-1], "subject"
        for mention in self.mentions:
            if after <= mention.first <= after + 1 and self._usable(mention):
                return mention, "attribute"
        earlier = [m for m in self.mentions if m.last <= cue.start and self._usable(m)]
        if earlier:
            return earlier[-1], "subject"
        if reporter is not None:
            return reporter, "speaker"
        if self.carried is not None and any(self._is_pronoun(t) for t in self.tokens[:3]):
            return self.carried, "previous sentence"
        return None, ""

    def _subject_like(self, mention: Mention) -> bool:
        k = mention.first - 1
        while True:
            while k >= 0 and self.tokens[k].text in self.cues.determiners:
                if k in self.subordinators:
                    return True  # "that" is a determiner too
                k -= 1
            previous = next(
                (m for m in self.mentions if m.last == k + 1 and m is not mention), None
            )
            if previous is None or self.comma_before[k + 1]:
                break
            k = previous.first - 1  # "Kremlin spokesman Dmitry Peskov": titles before names
        return (
            k < 0
            or self.clause[k] != self.clause[mention.first]
            or k in self.breaks
            or self.comma_before[k + 1]
            or k in self.subordinators
            or any(c.start <= k < c.end for c in self.coordinators)
        )

    def _relative_holder(self, issue: Match, cue: Match) -> Mention | None:
        for agent in self.agents:
            if cue.end <= agent.start <= cue.end + 1:
                mention = self._mention_at(agent.end)
                if mention is not None and mention is not self.reporter:
                    return mention
        # A named subject between the phrase and the cue; a lower-case adjective right after the
        # phrase qualifies the phrase ("un changement de régime ukrainien") and holds nothing.
        between = [
            m
            for m in self.mentions
            if issue.end <= m.first and m.last <= cue.start and m.text[:1].isupper()
        ]
        # ... and right before it ("which Moscow rejected"), auxiliaries aside.
        if (
            between
            and self._usable(between[-1])
            and between[-1].last >= cue.start - 2
            and not any(self.comma_before[k] for k in range(between[-1].last, cue.start + 1))
        ):
            return between[-1]
        return None

    def _coordinated(self, holder: Mention) -> list[Mention]:
        """The holder and those joined to it: "Zelensky and Macron demanded..."."""
        holders = [holder]
        while True:
            first = holders[0]
            joined = next(
                (
                    m
                    for m in self.mentions
                    for c in self.coordinators
                    if m.last <= c.start
                    and self._skip_back(c.start - 1) < m.last
                    and self._skip_forward(c.end) == first.first
                    and self._usable(m)
                ),
                None,
            )
            if joined is None or joined in holders:
                return holders
            holders.insert(0, joined)

    def _suggest(
        self,
        issue: Match,
        governing: list[Match],
        spoken: bool,
        *,
        has_condition: bool,
        holder: Mention | None = None,
    ) -> list[Suggestion]:
        term: IssueTerm = issue.payload
        polarity = self._polarity(issue, governing)
        value = term.value if polarity > 0 else term.opposed_value
        # A threat is a condition of its own: "threatened new sanctions" is an ultimatum (+1).
        threat = any(
            cue.payload == "threaten"
            and cue.start < issue.end
            and not any(self.comma_before[k] for k in range(cue.end, issue.start + 1))
            for cue in governing
        )
        conditional = (
            (has_condition or threat) and term.conditional_value is not None and polarity > 0
        )
        if conditional:
            value = term.conditional_value
        if value is None:
            return []
        cue, how = governing[0], "relative clause"
        # A name inside the phrase ("European troops") holds it only when no other does
        # ("Putin is ready to meet Zelensky").
        for self.inside_phrase in (issue, None):
            if holder is not None:
                break
            for candidate in governing:
                holder, how = self._holder(candidate)
                if holder is not None:
                    cue = candidate
                    break
        self.inside_phrase = None
        if holder is None:
            return []
        # "Ukraine should give up territory, Trump said": what one party says another must do
        # is the speaker's stance.
        reporter = self._reporter_for(cue)
        if (
            reporter is not None
            and holder is not reporter
            and reporter.ref.party != holder.ref.party
            and any(holder.last <= k < cue.start for k in self.obligations)
        ):
            holder, how = reporter, "prescribes"
        self.subject = holder
        return [
            self._statement(issue, term, value, governing, cue, one, how, spoken, conditional)
            for one in self._coordinated(holder)
        ]

    def _statement(
        self,
        issue: Match,
        term: IssueTerm,
        value: int,
        governing: list[Match],
        cue: Match,
        holder: Mention,
        how: str,
        spoken: bool,
        conditional: bool,
    ) -> Suggestion:
        on = self.published
        # "..., a position that Kyiv rejected": the writer tells what Kyiv did.
        reporter = self._reporter_for(cue) if how != "relative clause" else None
        if reporter is not None and reporter.ref.party != holder.ref.party:
            attribution, reported_by = "reported", reporter.ref.party
            speaker = reporter.ref.actor_on(on)
        else:
            attribution, reported_by = "own", None
            speaker = holder.ref.actor_on(on) or (reporter.ref.actor_on(on) if reporter else None)

        confidence = 0.55
        confidence += 0.15 if holder.ref.kind in ("actor", "office") else 0.0
        confidence += 0.1 if len(issue.term.split()) > 1 else 0.0
        # Between two phrases of one sentence, the longer one says more exactly where it stands.
        confidence += min(0.1, 0.01 * (issue.end - issue.start))
        # A stance cue that is only a word of the phrase ("a meeting between...") says less.
        confidence -= 0.1 if all(_inside(c, issue) for c in governing) and not spoken else 0.0
        confidence += 0.05 if how in ("subject", "agent", "reported subject") else 0.0
        confidence -= 0.15 if how == "previous sentence" else 0.0
        confidence -= 0.1 if spoken else 0.0
        confidence -= 0.05 if attribution == "reported" else 0.0
        negated = issue.start in self.issue_negated or any(
            self.negated.get(i, 0) for i, s in enumerate(self.stance) if s in governing
        )
        reason = "; ".join(
            part
            for part in (
                f"holder {holder.text!r} ({how})",
                f"stance {', '.join(repr(self._words(c)) for c in governing)}"
                if not spoken
                else f"said {self._words(cue)!r}",
                f"issue {issue.term!r} {term.issue} {value:+d}",
                "negated" if negated else "",
                "conditional" if conditional else "",
                f"reported by {reporter.text!r}" if attribution == "reported" else "",
            )
            if part
        )
        return Suggestion(
            party=holder.ref.party,
            issue=term.issue,
            value=value,
            start=self.start,
            end=self.end,
            quote=self.text[self.start : self.end],
            speaker=speaker,
            attribution=attribution,
            reported_by=reported_by,
            stated_on=self.published,
            confidence=round(min(0.95, max(0.05, confidence)), 2),
            reason=reason[:300],
        )

    def _words(self, match: Match) -> str:
        return self.text[self.tokens[match.start].start : self.tokens[match.end - 1].end]


def _inside(cue: Match, issue: Match) -> bool:
    return issue.start <= cue.start and cue.end <= issue.end


def _widest(matches) -> list[Match]:
    """One cue per stretch of words: "agree" inside "agree to" is not a second stance."""
    kept: list[Match] = []
    for match in sorted(matches, key=lambda m: (m.start - m.end, m.start)):
        if not any(k.start <= match.start and match.end <= k.end for k in kept):
            kept.append(match)
    return sorted(kept, key=lambda m: (m.start, m.end))
