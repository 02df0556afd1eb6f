"""Check-in pages (signed link, no login) and the patient's follow-up page.

Acknowledging alerts and clearing flags are the intake app's views (one place for both).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from booking.models import Booking
from followup import links, services
from followup.forms import CheckInForm
from followup.models import CheckIn
from followup.summaries import open_checkins, patient_history
from followup.visits import why_not_checked_in
from intake.checkin_triage import COMPARISONS
from portal.access import patient_required, signed_in_user
from portal.opening_hours import callback_day


def _problem(request: HttpRequest, kind: str, status: int, **context: object) -> HttpResponse:
    return render(
        request, "followup/checkin_problem.html", {"problem": kind, **context}, status=status
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def checkin(request: HttpRequest, token: str) -> HttpResponse:
    """The check-in form for one visit, opened from the emailed link without logging in.

    The patient may answer signed in or not; anyone else signed in is refused. The page
    sends no Referer, so the token in its address does not travel to other logs.
    """
    try:
        booking_id, stage = links.read_token(token)
    except links.LinkError as exc:
        return _problem(
            request, "expired" if exc.expired else "invalid", 410 if exc.expired else 400
        )
    booking = (
        Booking.objects.select_related("patient", "clinic", "practitioner")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        return _problem(request, "invalid", 400)
    if request.user.is_authenticated and request.user.pk != booking.patient_id:
        # Someone else's link (forwarded, or opened on a shared computer): nothing about the
        # visit is shown and nothing can be answered in the patient's name.
        return _problem(request, "someone_else", 403, clinic=booking.clinic)
    clinic = booking.clinic
    context = {
        "booking": booking,
        "stage": stage,
        "clinic": clinic,
        "callback_day": callback_day(clinic, timezone.now()),
    }
    if CheckIn.objects.filter(booking=booking, stage=stage).exists():
        return render(request, "followup/checkin_done.html", {**context, "again": True})
    reason = why_not_checked_in(booking, timezone.now())
    if reason:
        return _problem(request, "closed", 410, reason=reason, **context)
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.checkin_submit(booking=booking, stage=stage, answers=form.answers())
        except services.AlreadyAnswered:
            return render(request, "followup/checkin_done.html", {**context, "again": True})
        except services.CheckInError as exc:
            return _problem(request, "closed", 410, reason=exc.message, **context)
        return render(request, "followup/checkin_done.html", {**context, "outcome": result.outcome})
    status = 400 if form.is_bound else 200
    return render(request, "followup/checkin_form.html", {**context, "form": form}, status=status)


@never_cache
@patient_required
@require_safe
def my_followup(request: HttpRequest) -> HttpResponse:
    """The patient's check-ins (open and answered) and the guidance we sent them."""
    patient = signed_in_user(request)
    return render(
        request,
        "followup/my_followup.html",
        {
            "open_checkins": open_checkins(patient),
            "comparisons": COMPARISONS,
            **patient_history(patient),
        },
    )
