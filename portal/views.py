"""Home, the role dashboards and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from portal import health
from portal import privacy_notice as notice
from portal.access import patient_required, practitioner_required, staff_required
from portal.models import Clinic, Role

DASHBOARD_FOR_ROLE = {
    Role.PATIENT: "patient_dashboard",
    Role.PRACTITIONER: "practitioner_dashboard",
    Role.STAFF: "staff_dashboard",
}


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@require_safe
def privacy_notice(request: HttpRequest) -> HttpResponse:
    """The clinic's privacy notice, public: it is linked from sign-up and the intake consent."""
    return render(
        request,
        "portal/privacy_notice.html",
        {
            "version": notice.NOTICE_VERSION,
            "accounts_years": notice.ACCOUNTS_KEPT_YEARS,
            "inactive_years": notice.INACTIVE_ACCOUNT_YEARS,
            "ico_url": notice.ICO_COMPLAINT_URL,
            "ico_helpline": notice.ICO_HELPLINE,
        },
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Send each person to their own dashboard after signing in."""
    role = getattr(request.user, "role", Role.PATIENT)
    return redirect(DASHBOARD_FOR_ROLE.get(role, "patient_dashboard"))


@patient_required
def patient_dashboard(request: HttpRequest) -> HttpResponse:
    from booking.summaries import patient_journey, upcoming_for_patient
    from followup.summaries import open_checkins
    from intake.services import has_complete_intake

    return render(
        request,
        "portal/dashboard_patient.html",
        {
            "upcoming": upcoming_for_patient(request.user),  # type: ignore[arg-type]
            "intake_done": has_complete_intake(request.user),  # type: ignore[arg-type]
            "open_checkins": open_checkins(request.user),  # type: ignore[arg-type]
            "journey": patient_journey(request.user),  # type: ignore[arg-type]
        },
    )


@practitioner_required
def practitioner_dashboard(request: HttpRequest) -> HttpResponse:
    from booking.summaries import day_list
    from followup.summaries import practitioner_followup
    from intake.dashboard import team_attention
    from practice.glance import glance_for

    clinic = Clinic.objects.current()
    today = list(day_list(clinic, practitioner_user=request.user))  # type: ignore[arg-type]
    attention = team_attention(request.user)  # type: ignore[arg-type]
    followup = practitioner_followup(request.user)  # type: ignore[arg-type]
    return render(
        request,
        "portal/dashboard_practitioner.html",
        {"today": today, "glance": glance_for(today, viewer=request.user), **attention, **followup},
    )


@staff_required
def staff_dashboard(request: HttpRequest) -> HttpResponse:
    from booking.summaries import day_list
    from intake.dashboard import team_attention

    attention = team_attention(request.user)  # type: ignore[arg-type]
    return render(
        request,
        "portal/dashboard_staff.html",
        {"today": day_list(Clinic.objects.current()), **attention},
    )


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker reachability and beat's heartbeat: 200 "ok" when all is well, 503
    "unavailable" when the database or broker is down, 503 "degraded" when beat has not run for
    three minutes (nothing due is being sent)."""
    checks = {"database": health.check_database(), "broker": health.check_broker()}
    beat_seconds_ago = health.seconds_since_heartbeat()
    if not all(value == "ok" for value in checks.values()):
        status = "unavailable"
    elif health.beat_is_stale(beat_seconds_ago):
        status = "degraded"
    else:
        status = "ok"
    body: dict[str, object] = {
        "status": status,
        "checks": checks,
        "beat_seconds_ago": beat_seconds_ago,
    }
    return JsonResponse(body, status=200 if status == "ok" else 503)
