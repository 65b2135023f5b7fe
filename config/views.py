"""The landing page at `/`: where a person who opens the server in a browser goes next."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def landing(request: HttpRequest) -> HttpResponse:
    """Links to the admin, the API documentation and the health probes; no data, no login."""
    return render(request, "landing.html")
