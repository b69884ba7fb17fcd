from datetime import date

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from negotiations.selectors import position_matrix, shift_feed


@require_GET
@permission_required("negotiations.view_statement", raise_exception=True)
def home(request: HttpRequest) -> HttpResponse:
    today: date = timezone.localdate()
    return render(
        request,
        "negotiations/home.html",
        {
            "matrix": position_matrix(on=today),
            "recent_shifts": shift_feed(limit=10),
        },
    )
