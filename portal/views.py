"""Home, the privacy notice, the way to each role's dashboard and the health check.

The dashboards themselves are ``practice.views.dashboards``: they gather every app's facts.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from portal import health
from portal import privacy_notice as notice
from portal.access import login_required
from portal.models import Role

# URL names, not views: the dashboards are practice's (``practice/dashboard_urls.py``).
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


@never_cache
@require_safe
@login_required
def still_here(request: HttpRequest) -> HttpResponse:
    """Nothing, for "Stay signed in" on the team's idle warning: a request is activity, which
    ``TeamSecurityMiddleware`` counts; a session already ended is sent to sign in instead."""
    return HttpResponse(status=204)


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
