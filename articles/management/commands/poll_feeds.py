import time

from django.core.management.base import BaseCommand, CommandError

from articles.services import pending_count, poll_all_feeds


class Command(BaseCommand):
    help = "Poll every active feed now; with --wait, return once its new articles are processed."

    def add_arguments(self, parser):
        parser.add_argument("--wait", action="store_true")
        parser.add_argument("--timeout", type=float, default=600.0, help="seconds, with --wait")

    def handle(self, *args, wait: bool, timeout: float, **options):
        ids = poll_all_feeds()
        self.stdout.write(f"{len(ids)} new article(s) queued")
        if not wait:
            return
        deadline = time.monotonic() + timeout
        while (left := pending_count(article_ids=ids)) and time.monotonic() < deadline:
            time.sleep(0.5)
        if left:
            raise CommandError(f"{left} article(s) still in the pipeline after {timeout:.0f}s")
        self.stdout.write("all new articles went through the pipeline")
