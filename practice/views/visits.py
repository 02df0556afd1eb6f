"""A booking from the practitioner's side: its detail, attendance, the treatment record,
cancelling with the policy applied; and the patient at a glance."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from booking import attendance, notices
from booking.errors import BookingError
from booking.models import ACTIVE_STATUSES, Booking, BookingStatus, ServiceKind
from followup.summaries import latest_checkin_note
from intake.access import OutsideCare, offers_see_anyway
from intake.access_log import log_health_access
from intake.charts import pain_chart
from intake.models import Alert, FlagKind, PatientFlag
from intake.services import contact_phone, latest_submitted
from intake.summary import intake_summary
from payments.at_clinic import takes_payment_here
from payments.forms import ClinicPaymentForm
from payments.models import ClinicPayment, FeeReduction, Payment
from payments.services import cancel_with_refund, payment_for_booking
from portal import policy
from portal.access import practitioner_required, signed_in_user, team_required
from portal.models import Clinic, Role
from portal.params import safe_next
from portal.templatetags.money import money
from practice import services
from practice.access import ask_password_before_refund, get_booking_for_team, get_patient_for_team
from practice.forms import CancelVisitForm, TreatmentRecordForm
from practice.glance import glance_for
from practice.models import INTENSITY_RANK, RecordCorrection, TreatmentRecord
from practice.record_history import mark_edits

OUTCOMES = {
    "attended": BookingStatus.ATTENDED,
    "no_show": BookingStatus.NO_SHOW,
    "late_cancelled": BookingStatus.LATE_CANCELLED,
}
OUTCOME_DONE = {
    BookingStatus.ATTENDED: "Marked as attended.",
    BookingStatus.NO_SHOW: "Marked as did not attend.",
    BookingStatus.LATE_CANCELLED: "Recorded as a late cancellation.",
}


def _book_next_url(booking: Booking) -> str:
    """The booking pages for the same service and practitioner, a week after this visit."""
    week = (booking.starts_at + timedelta(days=7)).astimezone(booking.clinic.tz).date()
    query = urlencode(
        {"for": booking.patient_id, "with": booking.practitioner_id, "week": week.isoformat()}
    )
    return f"{reverse('booking:week', args=[booking.service.slug])}?{query}"


def _reschedule_url(booking: Booking) -> str:
    query = urlencode(
        {"for": booking.patient_id, "with": booking.practitioner_id, "reschedule": booking.pk}
    )
    return f"{reverse('booking:week', args=[booking.service.slug])}?{query}"


def _gentler(last: TreatmentRecord | None) -> bool:
    """Whether last time was more than the gentlest setting (worth turning the volume down)."""
    if last is None:
        return False
    return bool(INTENSITY_RANK.get(last.depth, 0) or INTENSITY_RANK.get(last.stimulation, 0))


@team_required
@never_cache
@require_safe
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_booking_for_team(request, pk)
    user = signed_in_user(request)
    now = timezone.now()
    # The visit is theirs to run; its patient's health record only if the policy says so
    # (the desk never, a practitioner within the care relationship or a see-anyway grant).
    health = policy.may_read_record(user, booking.patient, now=now)
    glance = glance_for([booking], viewer=user).get(booking.pk)
    if health:
        record = TreatmentRecord.objects.filter(booking=booking).first()
        last = services.last_treatment_before(booking)
        flags = list(PatientFlag.objects.filter(patient=booking.patient, cleared_at__isnull=True))
        alerts = list(
            Alert.objects.filter(patient=booking.patient, acknowledged_at__isnull=True).order_by(
                "-created_at"
            )[:5]
        )
        intake = latest_submitted(booking.patient)
        checkin_note = latest_checkin_note(booking.patient)
        mark_edits([record, last])
        log_health_access(
            viewer=user,
            patient=booking.patient,
            what="visit details, treatment records and the latest check-in",
            request=request,
        )
    else:
        record, last, flags, alerts, intake, checkin_note = None, None, [], [], None, None
    choices = attendance.attendance_choices(booking, now=now)
    clinic_payment = (
        ClinicPayment.objects.filter(booking=booking).select_related("taken_by").first()
    )
    return render(
        request,
        "practice/booking_detail.html",
        {
            "booking": booking,
            "patient": booking.patient,
            "glance": glance,
            "record": record,
            "last": last,
            "gentler": _gentler(last),
            "flags": flags,
            "alerts": alerts,
            "tz": booking.clinic.tz,
            "started": booking.starts_at <= now,
            "choices": choices,
            # Writing the record is the practitioner's; the desk marks attendance only.
            "can_record": choices.record and user.role == Role.PRACTITIONER,
            # A visit with a treatment record was seen (services.attendance_mark refuses it).
            "can_no_show": choices.no_show
            and not TreatmentRecord.objects.filter(booking=booking).exists(),
            "can_change": booking.is_changeable and booking.starts_at > now,
            "summary": intake_summary(intake) if intake is not None else None,
            "checkin_note": checkin_note,
            # Who they are, not their health: the desk phones patients too.
            "phone": contact_phone(booking.patient),
            "chart": pain_chart(booking.patient, days=60, now=now) if health else None,
            "health": health,
            "may_ask": policy.may_ask_to_see_anyway(user, booking.patient),
            "book_next_url": _book_next_url(booking),
            "reschedule_url": _reschedule_url(booking),
            "clinic_payment": clinic_payment,
            "payment_form": ClinicPaymentForm(booking=booking)
            if clinic_payment is None and takes_payment_here(booking)
            else None,
        },
    )


@team_required
@require_POST
def mark_arrived(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_booking_for_team(request, pk)
    try:
        attendance.booking_mark_arrived(booking=booking, by=signed_in_user(request))
        messages.success(request, f"{booking.patient.get_short_name()} is marked as arrived.")
    except BookingError as exc:
        messages.error(request, exc.message)
    back = safe_next(request, request.POST.get("next"))
    return HttpResponseRedirect(back or reverse("practice:booking", args=[pk]))


def _record_late_cancellation(
    request: HttpRequest, booking: Booking, *, now: datetime | None = None
) -> None:
    """Record it with the clinic's late-cancellation rule applied, and say what happened to
    the money."""
    booking, refund = services.late_cancellation_record(
        booking=booking, by=signed_in_user(request), now=now
    )
    done = OUTCOME_DONE[BookingStatus.LATE_CANCELLED]
    if refund is not None:
        kept = refund.payment.amount_minor - refund.amount_minor
        messages.success(
            request,
            f"{done} {money(refund.amount_minor, refund.payment.currency)} is being refunded "
            f"to the patient's card; the clinic keeps {money(kept, refund.payment.currency)} "
            "under its late-cancellation policy.",
        )
    elif (paid := payment_for_booking(booking)) is not None and paid.is_paid:
        messages.success(
            request, f"{done} Under the clinic's late-cancellation policy nothing is refunded."
        )
    else:
        messages.success(request, done)


@team_required
@require_POST
def mark_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_booking_for_team(request, pk)
    outcome = OUTCOMES.get(request.POST.get("outcome", ""))
    if outcome is None:
        messages.error(request, "Choose attended, did not attend or late cancellation.")
        return redirect("practice:booking", pk=pk)
    if outcome == BookingStatus.LATE_CANCELLED:
        ask_password_before_refund(request, [booking])
    try:
        if outcome == BookingStatus.LATE_CANCELLED:
            _record_late_cancellation(request, booking)
            return redirect("practice:booking", pk=pk)
        services.attendance_mark(booking=booking, outcome=outcome, by=signed_in_user(request))
    except BookingError as exc:
        messages.error(request, exc.message)
        return redirect("practice:booking", pk=pk)
    messages.success(request, OUTCOME_DONE[outcome])
    user = signed_in_user(request)
    if (
        outcome == BookingStatus.ATTENDED
        and user.role == Role.PRACTITIONER
        and booking.kind != ServiceKind.ASSESSMENT
        and not TreatmentRecord.objects.filter(booking=booking).exists()
    ):
        return redirect("practice:record", pk=pk)
    return redirect("practice:booking", pk=pk)


@practitioner_required
@never_cache
@offers_see_anyway
@require_http_methods(["GET", "POST"])
def treatment_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Write or correct the record of an attended visit (saving also marks it attended)."""
    booking = get_booking_for_team(request, pk)
    user = signed_in_user(request)
    if booking.kind == ServiceKind.ASSESSMENT:
        raise Http404("The free assessment has no treatment record")
    if booking.status == BookingStatus.NO_SHOW:
        messages.error(
            request,
            "This visit is marked as did not attend, so it has no treatment record. "
            "If the patient was seen, correct it to attended first.",
        )
        return redirect("practice:booking", pk=pk)
    if not policy.may_read_record(user, booking.patient):
        raise OutsideCare(booking.patient)
    record = TreatmentRecord.objects.filter(booking=booking).first()
    last = services.last_treatment_before(booking)
    # The form shows this visit's record and, above it, the last treatment's intensity and
    # plan: either is a read of the record, even when this visit has none yet.
    if record is not None or last is not None:
        what = "treatment record" if record is not None else "the last treatment record"
        log_health_access(viewer=user, patient=booking.patient, what=what, request=request)
    initial = (
        {
            "areas_and_points": record.areas_and_points,
            "needle_count": record.needles,
            "depth": record.depth,
            "stimulation": record.stimulation,
            "style": record.style,
            "other_techniques": record.other_techniques,
            "reaction": record.reaction,
            "plan_next_time": record.plan_next_time,
        }
        if record is not None
        else {}
    )
    form = TreatmentRecordForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        gently = PatientFlag.objects.filter(
            patient=booking.patient, kind=FlagKind.TREAT_GENTLY, cleared_at__isnull=True
        ).first()
        try:
            services.treatment_record_save(booking=booking, by=user, details=form.details())
        except BookingError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Treatment record saved.")
            if (
                gently is not None
                and not PatientFlag.objects.filter(pk=gently.pk, cleared_at__isnull=True).exists()
            ):
                messages.success(
                    request,
                    "“Treat more gently” is cleared: this treatment was gentler than the one "
                    "before the flag.",
                )
            return redirect("practice:booking", pk=pk)
    return render(
        request,
        "practice/record_form.html",
        {
            "booking": booking,
            "form": form,
            "record": record,
            "last": last,
            "tz": booking.clinic.tz,
        },
    )


@team_required
@never_cache
@require_http_methods(["GET", "POST"])
def cancel_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel from the clinic's side, with the policy applied inside the cutoff."""
    booking = get_booking_for_team(request, pk)
    now = timezone.now()
    late = attendance.inside_cutoff(booking, now)
    form = CancelVisitForm(request.POST or None)
    if request.method == "POST":
        ask_password_before_refund(request, [booking])
    if request.method == "POST" and form.is_valid():
        try:
            if late and form.cleaned_data["how"] == "late":
                _record_late_cancellation(request, booking, now=now)
            else:
                # "The clinic cancels (no charge to the patient)": never the late rule.
                cancel_with_refund(
                    booking=booking,
                    by=signed_in_user(request),
                    note=form.cleaned_data["note"].strip(),
                    now=now,
                    clinics_reason=True,
                )
                notices.cancelled(request, booking)
            return redirect("practice:booking", pk=pk)
        except BookingError as exc:
            form.add_error(None, exc.message)
    return render(
        request,
        "practice/cancel.html",
        {"booking": booking, "form": form, "late": late, "tz": booking.clinic.tz},
    )


@team_required
@never_cache
@offers_see_anyway
@require_safe
def patient_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient at a glance: visits, treatment records, flags and alerts."""
    patient = get_patient_for_team(request, pk)
    user = signed_in_user(request)
    now = timezone.now()
    # The read rule above only lets through patients of the viewer's clinic.
    visits = Booking.objects.filter(patient=patient).select_related(
        "service", "practitioner", "room"
    )
    upcoming = list(visits.filter(status__in=ACTIVE_STATUSES, starts_at__gte=now))
    past = list(
        visits.filter(Q(starts_at__lt=now) | ~Q(status__in=ACTIVE_STATUSES)).order_by("-starts_at")[
            :50
        ]
    )
    records = list(
        TreatmentRecord.objects.filter(patient=patient)
        .select_related("practitioner", "booking__service")
        .order_by("-visit_at")
    )
    mark_edits(records)
    log_health_access(
        viewer=user,
        patient=patient,
        what="patient overview, treatment records and the latest check-in",
        request=request,
    )
    glance = glance_for(upcoming + past)
    intake = latest_submitted(patient)
    return render(
        request,
        "practice/patient.html",
        {
            "patient": patient,
            "upcoming": upcoming,
            "past": past,
            "records": records,
            "corrections": list(RecordCorrection.objects.filter(patient=patient)[:20]),
            "glance": glance,
            "flags": list(PatientFlag.objects.filter(patient=patient).order_by("-raised_at")),
            "alerts": list(Alert.objects.filter(patient=patient).order_by("-created_at")[:20]),
            "tz": (user.clinic or Clinic.objects.current()).tz,
            "first_visit": min((b.starts_at for b in past), default=None),
            "summary": intake_summary(intake) if intake is not None else None,
            "checkin_note": latest_checkin_note(patient),
            "phone": contact_phone(patient),
            "chart": pain_chart(patient, now=now),
            "fee_reductions": list(FeeReduction.objects.filter(patient=patient)[:3]),
            "payments": list(
                Payment.objects.filter(patient=patient).select_related("booking__service")[:10]
            ),
        },
    )
