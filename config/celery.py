import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("stance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_old_connections(task=None, **kwargs) -> None:
    # What Django does around each request: drop a connection that failed or outlived
    # CONN_MAX_AGE, keep the others (CELERY_DB_REUSE_MAX stops Celery closing every one).
    # Not around a task run eagerly, inside its caller's transaction.
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@signals.worker_init.connect
def _load_models(**kwargs) -> None:
    # The language model takes half a second to load: load it in the worker's main process,
    # before it forks its pool, so that the pool processes share it and no article waits.
    from articles.language import load_model

    load_model()
