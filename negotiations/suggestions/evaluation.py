"""Scores of suggestions against a gold set, on (article, party, issue) pairs.

Precision, recall and F1 on the pairs; on the pairs found in both, the value (exact, and within
one stop) and the attribution of the most confident suggestion, compared with the gold
statements of that pair (a pair may hold several gold values, e.g. a threat and a promise).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass
class _Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    exact: int = 0
    within_one: int = 0
    attribution: int = 0

    def as_dict(self) -> dict:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        matched = self.tp or 1
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "value_exact": round(self.exact / matched, 3) if self.tp else None,
            "value_within_one": round(self.within_one / matched, 3) if self.tp else None,
            "attribution_accuracy": round(self.attribution / matched, 3) if self.tp else None,
        }


@dataclass
class Scores:
    overall: _Counts = field(default_factory=_Counts)
    by_language: dict[str, _Counts] = field(default_factory=lambda: defaultdict(_Counts))
    by_issue: dict[str, _Counts] = field(default_factory=lambda: defaultdict(_Counts))
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            **self.overall.as_dict(),
            "by_language": {k: v.as_dict() for k, v in sorted(self.by_language.items())},
            "by_issue": {k: v.as_dict() for k, v in sorted(self.by_issue.items())},
        }


def _same_attribution(predicted: Mapping, gold: Mapping) -> bool:
    if predicted.get("attribution", "own") != gold.get("attribution", "own"):
        return False
    return predicted.get("attribution") != "reported" or predicted.get("reported_by") == gold.get(
        "reported_by"
    )


def score(*, gold: Iterable[Mapping], predicted: Mapping[object, Iterable[Mapping]]) -> Scores:
    """Compare gold lines (with their "statements") with the suggestions per article id."""
    scores = Scores()
    for line in gold:
        article = line["id"]
        lang = line.get("lang") or "unknown"
        gold_pairs: dict[tuple[str, str], list[Mapping]] = defaultdict(list)
        for statement in line.get("statements", []):
            gold_pairs[(statement["party"], statement["issue"])].append(statement)
        predicted_pairs: dict[tuple[str, str], list[Mapping]] = defaultdict(list)
        for suggestion in predicted.get(article, []):
            predicted_pairs[(suggestion["party"], suggestion["issue"])].append(suggestion)
        for pair in gold_pairs.keys() | predicted_pairs.keys():
            buckets = (scores.overall, scores.by_language[lang], scores.by_issue[pair[1]])
            if pair not in predicted_pairs:
                for counts in buckets:
                    counts.fn += 1
                scores.errors.append({"id": article, "missed": pair})
                continue
            if pair not in gold_pairs:
                for counts in buckets:
                    counts.fp += 1
                scores.errors.append({"id": article, "extra": pair})
                continue
            best = max(predicted_pairs[pair], key=lambda s: s.get("confidence") or 0.0)
            values = [g["value"] for g in gold_pairs[pair]]
            exact = best["value"] in values
            within = min(abs(best["value"] - v) for v in values) <= 1
            attributed = any(_same_attribution(best, g) for g in gold_pairs[pair])
            if not exact:
                scores.errors.append(
                    {"id": article, "pair": pair, "value": best["value"], "gold": values}
                )
            if not attributed:
                scores.errors.append({"id": article, "pair": pair, "attribution": best})
            for counts in buckets:
                counts.tp += 1
                counts.exact += exact
                counts.within_one += within
                counts.attribution += attributed
    return scores
