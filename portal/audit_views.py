"""The owner's page on the audit trail: filter it, read it, export it as CSV."""

from __future__ import annotations

import csv

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from portal import audit
from portal.access import owner_required
from portal.forms import AuditFilterForm
from portal.models import AuditEvent, Clinic

PAGE_SIZE = 100


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, QuerySet[AuditEvent], Clinic]:
    clinic = Clinic.objects.current()
    form = AuditFilterForm(request.GET or None)
    if not form.is_bound:
        return form, audit.trail(clinic=clinic), clinic
    if form.is_valid():
        return form, audit.trail(clinic=clinic, **form.cleaned_data), clinic
    return form, AuditEvent.objects.none(), clinic


@owner_required
@require_safe
def audit_trail(request: HttpRequest) -> HttpResponse:
    """The trail, newest first, with filters."""
    form, events, _clinic = _filtered(request)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    response = render(
        request,
        "portal/audit_trail.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )
    response["Cache-Control"] = "no-store"
    return response


@owner_required
@require_safe
def audit_trail_csv(request: HttpRequest) -> HttpResponse:
    """What the same filters show, as a CSV download (nothing for filters that do not read)."""
    _form, events, clinic = _filtered(request)
    stamp = timezone.localtime(timezone.now(), clinic.tz).strftime("%Y%m%d-%H%M")
    download = HttpResponse(content_type="text/csv; charset=utf-8")
    csv.writer(download).writerows(audit.csv_rows(events.iterator(), clinic))
    download["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    download["Cache-Control"] = "no-store"
    return download
