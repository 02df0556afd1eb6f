"""The portal's URLs plus the baseline view the benchmarks compare against (not in production)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from booking.models import Service
from portal import urls as portal_urls


@login_required
def baseline(request: HttpRequest, pk: int) -> HttpResponse:
    """The least a signed-in page does: the middleware stack and one primary-key query."""
    service = Service.objects.get(pk=pk)
    return HttpResponse(service.name, content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("bench/baseline/<int:pk>/", baseline, name="bench_baseline"),
    *portal_urls.urlpatterns,
]

handler403 = portal_urls.handler403
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500
