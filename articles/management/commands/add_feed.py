from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from articles.services import create_feed_source


class Command(BaseCommand):
    help = "Add an RSS or Atom feed to poll."

    def add_arguments(self, parser):
        parser.add_argument("url")
        parser.add_argument("--name", default="")
        parser.add_argument("--interval", type=int, default=60, help="minutes between polls")

    def handle(self, *args, url: str, name: str, interval: int, **options):
        try:
            source = create_feed_source(url=url, name=name, interval_minutes=interval)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"feed {source.id}: {source.name} every {source.poll_interval_minutes} min"
        )
