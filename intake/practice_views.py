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

from intake import diary_entries, services
from intake.access import no_store, offers_see_anyway, patient_for_viewer
from intake.access_log import log_health_access
from intake.charts import pain_chart
from intake.forms import FlagClearForm
from intake.models import SAME_DAY_LEVELS, IntakeResponse, ResponseStatus
from intake.summary import intake_summary
from portal import policy
from portal.access import signed_in_user, team_required
from portal.models import Role, User
from portal.params import int_param, safe_next


def _dashboard_for(viewer: User) -> str:
    return "staff_dashboard" if viewer.role == Role.STAFF else "practitioner_dashboard"


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
    viewer = signed_in_user(request)
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
    flags = services.open_flags(patient)
    # The page shows the open flags' reasons too: a read even without a questionnaire.
    if chosen is not None or flags:
        what = "intake questionnaire" if chosen is not None else "flags on their record"
        log_health_access(viewer=viewer, patient=patient, what=what, request=request)
    return render(
        request,
        "intake/practice_intake.html",
        {
            "patient": patient,
            "summary": intake_summary(chosen) if chosen else None,
            "history": history,
            "chosen": chosen,
            "flags": flags,
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
    viewer = signed_in_user(request)
    patient = patient_for_viewer(viewer, patient_id)
    log_health_access(viewer=viewer, patient=patient, what="pain diary", request=request)
    return render(
        request,
        "intake/practice_diary.html",
        {
            "patient": patient,
            "chart": pain_chart(patient),
            "diary_changes": diary_entries.diary_changes(patient),
        },
    )


@team_required
@require_POST
def acknowledge_alert(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge an alert (or mark a same-day task done); who and when are recorded.

    Emergency, urgent and same-day alerts are on every team dashboard, so anyone on the
    clinic's team may act on them; others only someone who may read the patient's record
    (``portal.policy.alerts_to_act_on``).
    """
    viewer = signed_in_user(request)
    alert = get_object_or_404(policy.alerts_to_act_on(viewer).select_related("patient"), pk=pk)
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
def claim_alert(request: HttpRequest, pk: int) -> HttpResponse:
    """ "I'll handle this": the first team member to click has the alert; anyone later is told
    who has it. Who may: as for acknowledging (``portal.policy.alerts_to_act_on``)."""
    viewer = signed_in_user(request)
    alert = get_object_or_404(policy.alerts_to_act_on(viewer).select_related("patient"), pk=pk)
    alert, won = services.alert_claim(alert=alert, by=viewer)
    holder = alert.claimed_by
    if won:
        messages.success(request, f"You are handling {alert.patient}. Mark it done when finished.")
    elif alert.acknowledged_at is not None:
        messages.info(request, "A colleague had already dealt with that alert.")
    elif holder == viewer:
        messages.info(request, f"You are already handling {alert.patient}.")
    else:
        name = (holder.get_full_name() or holder.email) if holder else "a colleague"
        messages.warning(request, f"{name} is already handling {alert.patient}.")
    return _back(request, _dashboard_for(viewer))


@team_required
@require_POST
def clear_flag(request: HttpRequest, pk: int) -> HttpResponse:
    """Clear a flag; once no flag holds treatment, the patient's treatment resumes."""
    viewer = signed_in_user(request)
    # Only a practitioner who may read the record sees its flags (``portal.policy``): a hold
    # on treatment is a clinical decision.
    flag = get_object_or_404(policy.flags_for(viewer).select_related("patient"), pk=pk)
    form = FlagClearForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.problem())
        return _back(request, _dashboard_for(viewer))
    pausing = flag.holds_treatment
    if services.flag_clear(flag=flag, by=viewer, note=form.cleaned_data["note"]):
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
