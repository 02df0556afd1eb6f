"""The clinic team's view of a patient's health data: intake summary, diary chart, alerts.

Each page checks ``can_read_health`` (anyone else gets a 404), writes the read to
the access log the patient can see, and sends ``Cache-Control: no-store``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from intake import services
from intake.access import no_store, patient_for_viewer
from intake.charts import pain_chart
from intake.models import (
    PAGING_LEVELS,
    SAME_DAY_LEVELS,
    Alert,
    IntakeResponse,
    PatientFlag,
    ResponseStatus,
)
from intake.summary import intake_summary
from portal.access import team_required
from portal.models import Role, User


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _dashboard_for(viewer: User) -> str:
    return "staff_dashboard" if viewer.role == Role.STAFF else "practitioner_dashboard"


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    wanted = request.POST.get("next")
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return redirect(wanted)
    return redirect(fallback)


@no_store
@team_required
@require_safe
def patient_intake(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A patient's intake summary (what changes treatment first) and their response history."""
    viewer = _user(request)
    patient = patient_for_viewer(viewer, patient_id)
    history = list(
        IntakeResponse.objects.filter(patient=patient, status=ResponseStatus.SUBMITTED).order_by(
            "-submitted_at"
        )
    )
    chosen = history[0] if history else None
    wanted = request.GET.get("response")
    if wanted and wanted.isdigit():
        chosen = next((r for r in history if r.pk == int(wanted)), None) or chosen
    if chosen is not None:
        services.log_health_access(
            viewer=viewer, patient=patient, what="intake questionnaire", request=request
        )
    return render(
        request,
        "intake/practice_intake.html",
        {
            "patient": patient,
            "summary": intake_summary(chosen) if chosen else None,
            "history": history,
            "chosen": chosen,
            "flags": services.open_flags(patient),
            "has_draft": IntakeResponse.objects.filter(
                patient=patient, status=ResponseStatus.DRAFT
            ).exists(),
        },
    )


@no_store
@team_required
@require_safe
def patient_diary(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A patient's pain over time with their visits marked."""
    viewer = _user(request)
    patient = patient_for_viewer(viewer, patient_id)
    services.log_health_access(viewer=viewer, patient=patient, what="pain diary", request=request)
    return render(
        request,
        "intake/practice_diary.html",
        {"patient": patient, "chart": pain_chart(patient)},
    )


@team_required
@require_POST
def acknowledge_alert(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge an alert (or mark a same-day task done); who and when are recorded.

    Emergency and urgent alerts are on every team dashboard, so anyone on the clinic's team may
    acknowledge them; other alerts only someone who may read the patient's health data.
    """
    viewer = _user(request)
    alert = get_object_or_404(Alert, pk=pk, clinic_id=viewer.clinic_id)
    if alert.level not in PAGING_LEVELS:
        patient_for_viewer(viewer, alert.patient_id)
    task = alert.level in SAME_DAY_LEVELS
    if services.alert_acknowledge(alert=alert, by=viewer):
        done = "marked done" if task else "acknowledged"
        messages.success(
            request, f"{alert.get_level_display()} alert about {alert.patient} {done}."
        )
    else:
        messages.info(request, "A colleague had already dealt with that alert.")
    return _back(request, _dashboard_for(viewer))


@team_required
@require_POST
def clear_flag(request: HttpRequest, pk: int) -> HttpResponse:
    """Clear a flag. A flag that holds treatment is a clinical decision:
    only a practitioner clears it, and once none is left the patient's treatment resumes."""
    viewer = _user(request)
    flag = get_object_or_404(PatientFlag, pk=pk, clinic_id=viewer.clinic_id)
    patient_for_viewer(viewer, flag.patient_id)
    pausing = flag.holds_treatment
    if pausing and viewer.role != Role.PRACTITIONER:
        messages.error(
            request,
            "Only a practitioner can clear this: it holds treatment until someone has checked "
            "the patient's answers with them.",
        )
        return _back(request, _dashboard_for(viewer))
    note = (request.POST.get("note") or "").strip()
    if services.flag_clear(flag=flag, by=viewer, note=note):
        resumed = pausing and not services.booking_paused(flag.patient)
        messages.success(
            request,
            f"Flag cleared for {flag.patient}."
            + (
                " They can book treatment online again, and booked treatment goes ahead."
                if resumed
                else ""
            ),
        )
    else:
        messages.info(request, "That flag had already been cleared.")
    return _back(request, _dashboard_for(viewer))
