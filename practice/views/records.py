"""The versions of one treatment record: what each save changed, who saved it and when."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from intake.access import OutsideCare, offers_see_anyway
from intake.access_log import log_health_access
from portal import policy
from portal.access import signed_in_user, team_required
from practice.access import get_booking_for_team
from practice.models import TreatmentRecord
from practice.record_history import versions_of


@team_required
@never_cache
@offers_see_anyway
@require_safe
def record_versions(request: HttpRequest, pk: int) -> HttpResponse:
    """Every version of a visit's treatment record, newest first."""
    booking = get_booking_for_team(request, pk)
    user = signed_in_user(request)
    if not policy.may_read_record(user, booking.patient):
        raise OutsideCare(booking.patient)
    record = TreatmentRecord.objects.filter(booking=booking).first()
    if record is None:
        raise Http404("This visit has no treatment record")
    versions = versions_of([record]).get(record.pk, [])
    log_health_access(
        viewer=user, patient=booking.patient, what="treatment record versions", request=request
    )
    return render(
        request,
        "practice/record_versions.html",
        {
            "booking": booking,
            "patient": booking.patient,
            "record": record,
            "versions": list(reversed(versions)),
            "tz": booking.clinic.tz,
        },
    )
