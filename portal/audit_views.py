"""The owner's page on the audit trail: filter it, read it, export it as CSV."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from portal import audit, policy
from portal.access import staff_required
from portal.forms import AuditFilterForm
from portal.models import AuditEvent, Clinic

PAGE_SIZE = 100


@staff_required
@require_safe
def audit_trail(request: HttpRequest) -> HttpResponse:
    """The trail, newest first, with filters; ``?export=csv`` downloads what the filters show."""
    if not policy.is_owner(request.user):
        raise PermissionDenied("Only the clinic owner sees the audit trail.")
    clinic = Clinic.objects.current()
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.none()
    if form.is_bound and form.is_valid():
        events = audit.trail(clinic=clinic, **form.cleaned_data)
    elif not form.is_bound:
        events = audit.trail(clinic=clinic)
    if request.GET.get("export") == "csv" and not form.errors:
        stamp = timezone.localtime(timezone.now(), clinic.tz).strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(
            audit.csv_lines(events.iterator(), clinic), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
        response["Cache-Control"] = "no-store"
        return response
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    response = render(
        request,
        "portal/audit_trail.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
    response["Cache-Control"] = "no-store"
    return response
