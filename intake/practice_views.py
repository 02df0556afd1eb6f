"""The clinic team's view of a patient's health data: intake summary, diary chart, alerts.

Each page asks ``portal.policy`` (a practitioner outside the care relationship is offered
"see this record anyway", anyone else gets a 404), writes the read to the access log the
patient can see, and sends ``Cache-Control: no-store``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from intake import services
from intake.access import no_store, offers_see_anyway, patient_for_viewer
from intake.charts import pain_chart
from intake.forms import FlagClearForm
from intake.models import IntakeResponse, ResponseStatus
from intake.summary import intake_summary
from portal import policy
from portal.access import team_required
from portal.models import User
from portal.params import int_param, safe_next


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Back to the page the button was on (``next``, a path on this site), else ``fallback``."""
    wanted = safe_next(request, request.POST.get("next"))
    return HttpResponseRedirect(wanted) if wanted else redirect(fallback)


@no_store
@team_required
@offers_see_anyway
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
    wanted = int_param(request, "response")
    if wanted is not None:
        chosen = next((r for r in history if r.pk == wanted), None) or chosen
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
@offers_see_anyway
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
    viewer = _user(request)
    alert = get_object_or_404(policy.alerts_for(viewer).select_related("patient"), pk=pk)
    if services.alert_acknowledge(alert=alert, by=viewer):
        messages.success(request, f"Alert about {alert.patient} marked as read.")
    else:
        messages.info(request, "A colleague had already marked that alert as read.")
    return _back(request, "practitioner_dashboard")


@team_required
@require_POST
def clear_flag(request: HttpRequest, pk: int) -> HttpResponse:
    """Clear a flag; clearing a red flag lets the patient book treatment online again."""
    viewer = _user(request)
    flag = get_object_or_404(policy.flags_for(viewer).select_related("patient"), pk=pk)
    form = FlagClearForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.problem())
        return _back(request, "practitioner_dashboard")
    if services.flag_clear(flag=flag, by=viewer, note=form.cleaned_data["note"]):
        messages.success(
            request,
            f"Flag cleared for {flag.patient}."
            + (" They can book treatment online again." if flag.kind == "red_flag" else ""),
        )
    else:
        messages.info(request, "That flag had already been cleared.")
    return _back(request, "practitioner_dashboard")
