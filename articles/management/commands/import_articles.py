from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from articles.services import import_path


class Command(BaseCommand):
    help = "Queue HTML, text or PDF files, folders of them, or JSONL files (url, title, text, ...)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)

    def handle(self, *args, paths: list[Path], **options):
        total = 0
        for path in paths:
            if not path.exists():
                raise CommandError(f"{path}: no such file or folder")
            try:
                total += len(import_path(path=path))
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"{total} article(s) queued")
