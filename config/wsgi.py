import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Load the URLconf now, then move everything loaded so far out of the garbage collector's
# reach: a full collection would otherwise walk all of Django's long-lived objects and stall
# a request now and then (measured by bench/dashboard.py: p95 169 ms -> 91 ms on the timeline).
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
gc.freeze()
