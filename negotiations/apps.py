from django.apps import AppConfig


class NegotiationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "negotiations"

    def ready(self) -> None:
        from articles.signals import article_ready
        from negotiations.signals import enqueue_suggestions

        article_ready.connect(enqueue_suggestions, dispatch_uid="negotiations.enqueue_suggestions")
