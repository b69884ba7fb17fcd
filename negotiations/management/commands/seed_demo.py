from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from negotiations.demo import DEMO_USERS, demo_loaded, load_demo


class Command(BaseCommand):
    help = "Load the demo dispatches, their confirmed statements and one user per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Do nothing if the demo was loaded before (even if it was edited since).",
        )

    def handle(self, *args, once: bool, **options) -> None:
        if once and demo_loaded():
            self.stdout.write("Demo data already loaded.")
        else:
            result = load_demo(password=settings.DEMO_PASSWORD)
            self.stdout.write(
                f"Demo loaded: {result.articles_created} articles, "
                f"{result.statements_created} statements, {result.users_created} users created."
            )
        self.stdout.write("Demo users (log in at http://127.0.0.1:8000/login/):")
        for username, group in DEMO_USERS.items():
            self.stdout.write(f"  {username:8} {group:9} password: {settings.DEMO_PASSWORD}")
