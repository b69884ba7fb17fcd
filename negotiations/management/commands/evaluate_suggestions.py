import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from negotiations.management.commands.suggest import read_articles, suggest_for, suggestion_line
from negotiations.selectors import suggestion_lexicon
from negotiations.suggestions.evaluation import score


class Command(BaseCommand):
    help = (
        "Score the suggester against a gold JSONL file: precision, recall and F1 on (article, "
        "party, issue); value exact and within one; attribution; per language and per issue."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--gold", required=True, help="Gold JSONL file.")
        parser.add_argument(
            "--predictions",
            help="Score this JSONL output of `suggest` instead of running the suggester.",
        )
        parser.add_argument("--json", action="store_true", help="Print the scores as JSON.")
        parser.add_argument("--errors", action="store_true", help="List every disagreement.")

    def handle(self, *args, gold: str, predictions: str | None, **options) -> None:
        base = Path(gold).resolve().parent
        lines = []
        for number, line in read_articles(gold):
            if "text" not in line:
                if "text_path" not in line:
                    raise CommandError(f"{gold}:{number}: neither text nor text_path.")
                line = {**line, "text": (base / line["text_path"]).read_text(encoding="utf-8")}
            lines.append(line)
        predicted: dict[object, list[dict]] = {line["id"]: [] for line in lines}
        if predictions:
            for _, suggestion in read_articles(predictions):
                predicted.setdefault(suggestion["id"], []).append(suggestion)
        else:
            lexicon = suggestion_lexicon()
            for line in lines:
                predicted[line["id"]] = [
                    suggestion_line(line["id"], s) for s in suggest_for(line, lexicon)
                ]
        scores = score(gold=lines, predicted=predicted)
        result = scores.as_dict()
        if options["errors"]:
            for error in scores.errors:
                self.stderr.write(json.dumps(error, ensure_ascii=False, default=str))
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self._table("overall", {"all": result})
        self._table("language", result["by_language"])
        self._table("issue", result["by_issue"])

    def _table(self, title: str, rows: dict) -> None:
        columns = ["tp", "fp", "fn", "precision", "recall", "f1"]
        columns += ["value_exact", "value_within_one", "attribution_accuracy"]
        self.stdout.write(f"{title:20} " + " ".join(f"{c[:10]:>10}" for c in columns))
        for name, row in rows.items():
            cells = " ".join(f"{'-' if row[c] is None else row[c]:>10}" for c in columns)
            self.stdout.write(f"{name:20} {cells}")
