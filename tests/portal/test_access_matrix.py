"""Every URL of the project x every role, against the one access policy (``portal.policy``).

The URLs come from the resolver (``tests.urlwalk``): a new URL fails here until it is given
its expected access below, and a URL whose kwargs the walker cannot fill fails loudly. The
world: Alex is in Mei's care (an upcoming confirmed visit he booked, one attended three days
ago); Sam is another patient; David a colleague who does not treat Alex; the desk and the
owner. Every object a URL names is Alex's, with Mei.

"ok" is a page or a redirect that is not to sign in; "login" a redirect to sign in; numbers are
refusals (403: not for this role, or "outside your care" with the offer to see it anyway; 404:
not yours, with no hint it exists). Requests are GETs, or an empty POST where GET is 405.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.conftest import client_for
from tests.urlwalk import build_world, routes

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "patient_own",
    "patient_other",
    "practitioner_own",
    "practitioner_other",
    "desk",
    "owner",
)
Expect = dict[str, Any]


def rule(
    anonymous: Any, own: Any, other: Any, mei: Any, david: Any, desk: Any, owner: Any
) -> Expect:
    return dict(zip(ROLES, (anonymous, own, other, mei, david, desk, owner), strict=True))


PUBLIC = rule("ok", "ok", "ok", "ok", "ok", "ok", "ok")
SIGNED_IN = rule("login", "ok", "ok", "ok", "ok", "ok", "ok")
PATIENTS = rule("login", "ok", "ok", 403, 403, 403, 403)
OWN_PATIENT_OBJECT = rule("login", "ok", 404, 403, 403, 403, 403)
TEAM = rule("login", 403, 403, "ok", "ok", "ok", "ok")
PRACTITIONERS = rule("login", 403, 403, "ok", "ok", 403, 403)
DESK = rule("login", 403, 403, 403, 403, "ok", "ok")
# Booking pages for patients: a team member has no patient chosen (no ``?for=``): 404.
BOOKING_FLOW = rule("login", "ok", "ok", 404, 404, 404, 404)
# A booking: its patient, its own practitioner, the desk and owner; nobody else.
BOOKING = rule("login", "ok", 404, "ok", 404, "ok", "ok")
PRACTICE_BOOKING = rule("login", 403, 403, "ok", 404, "ok", "ok")
# A patient's health record: the practitioner caring for them. A colleague is told it is
# outside their care (403, with "see anyway"); the desk and owner read no health data (404).
RECORD = rule("login", 403, 403, "ok", 403, 404, 404)
# Alerts and flags follow the record (acting on them is a POST).
RECORD_ACTION = rule("login", 403, 403, "ok", 404, 404, 404)
RECORD_WRITE = rule("login", 403, 403, "ok", 404, 403, 403)

EXPECTED: dict[str, Expect] = {
    "home": PUBLIC,
    "healthz": PUBLIC,
    "privacy_notice": PUBLIC,
    "dashboard": SIGNED_IN,
    # "Stay signed in" on the team's idle warning: nothing but activity, for anyone signed in.
    "still_here": SIGNED_IN,
    "patient_dashboard": PATIENTS,
    "my_details": PATIENTS,
    "practitioner_dashboard": PRACTITIONERS,
    "staff_dashboard": DESK,
    # The audit trail: the owner's alone.
    "audit_trail": rule("login", 403, 403, 403, 403, 403, "ok"),
    "audit_trail_csv": rule("login", 403, 403, 403, 403, 403, "ok"),
    # "Download my data": the patient asks (after re-entering their password), the link is
    # theirs alone; the desk takes requests by post or phone, practitioners do not.
    "export_request": PATIENTS,
    "export_download": OWN_PATIENT_OBJECT,
    "desk_export": DESK,
    "desk_export_handover": DESK,
    "desk_add_caller": DESK,
    # booking
    # Services, prices, practitioners and open times are public (a team member without a
    # patient chosen sees what a visitor sees); choosing a time (confirm) needs an account.
    "booking:services": PUBLIC,
    "booking:book_for_patient": TEAM,
    "booking:practitioners": PUBLIC,
    "booking:week": PUBLIC,
    "booking:confirm": BOOKING_FLOW,
    "booking:mine": SIGNED_IN,
    "booking:detail": BOOKING,
    "booking:cancel": BOOKING,
    # The waiting list: joining is a booking page; leaving and an offer's link are the
    # patient's own (the link says it was sent to someone else); the team's list is theirs.
    "booking:waitlist_join": BOOKING_FLOW,
    "booking:waitlist_leave": OWN_PATIENT_OBJECT,
    "booking:waitlist_offer": rule("login", "ok", 403, 403, 403, 403, 403),
    # Closing the whole clinic for some days: a booking rule, the desk's and the owner's.
    "booking:closures": DESK,
    "booking:closure": DESK,
    "booking:closure_reopen": DESK,
    "practice:closure_cancel": DESK,
    "practice:waitlist": TEAM,
    "practice:waitlist_remove": TEAM,
    "practice:waitlist_offer": TEAM,
    # intake: the patient's own pages
    "intake:home": PATIENTS,
    "intake:start": PATIENTS,
    "intake:response": OWN_PATIENT_OBJECT,
    "intake:review": OWN_PATIENT_OBJECT,
    "intake:sent": OWN_PATIENT_OBJECT,
    "intake:step": OWN_PATIENT_OBJECT,
    # The autosave answers htmx: 401 rather than a redirect to sign in, 404 for anyone else's.
    "intake:autosave": rule(401, "ok", 404, 404, 404, 404, 404),
    "intake:diary": PATIENTS,
    # A diary score: its patient alone (the walk's is Alex's); anyone else 404 or 403.
    "intake:diary_edit": OWN_PATIENT_OBJECT,
    "intake:diary_delete": OWN_PATIENT_OBJECT,
    "intake:diary_advice": OWN_PATIENT_OBJECT,
    "intake:privacy": PATIENTS,
    # intake: the team's side of the record
    "intake:practice_intake": RECORD,
    "intake:practice_diary": RECORD,
    # The walk's alert is urgent: the whole team's (every team dashboard lists it, anyone on
    # duty acknowledges it; policy.alerts_to_act_on). Routine ones follow the record.
    "intake:acknowledge_alert": rule("login", 403, 403, "ok", "ok", "ok", "ok"),
    "intake:claim_alert": rule("login", 403, 403, "ok", "ok", "ok", "ok"),
    "intake:clear_flag": RECORD_ACTION,
    # Mei already may read (sent on); David is asked for a reason; the desk and owner cannot ask.
    "intake:see_anyway": rule("login", 403, 403, "ok", "ok", 403, 403),
    "intake:record_access": rule("login", 403, 403, 403, 403, 403, "ok"),
    # payments
    "payments:stripe_webhook": rule(400, 400, 400, 400, 400, 400, 400),  # unsigned
    "payments:checkout": BOOKING_FLOW,
    "payments:pay": OWN_PATIENT_OBJECT,
    "payments:pay_status": OWN_PATIENT_OBJECT,
    "payments:cancel": BOOKING,
    "payments:receipt": BOOKING,
    "payments:fee_reduction": PATIENTS,
    "payments:fee_reductions": TEAM,  # each sees the requests the policy lets them
    "payments:fee_reduction_decide": rule("login", 403, 403, "ok", 404, "ok", "ok"),
    # followup: the signed check-in link answers without signing in (see the signed-link tests
    # for who else may use it); the patient's follow-up page.
    "followup:checkin": rule("ok", "ok", "any", "any", "any", "any", "any"),
    "followup:mine": PATIENTS,
    # practice
    "practice:week": TEAM,
    "practice:day": TEAM,
    "practice:room": TEAM,
    "practice:booking": PRACTICE_BOOKING,
    "practice:arrived": PRACTICE_BOOKING,
    "practice:attendance": PRACTICE_BOOKING,
    "practice:cancel": PRACTICE_BOOKING,
    # Money taken at the clinic: recorded by the team who may open the visit; the day's
    # takings are the desk's and the owner's.
    "practice:take_payment": PRACTICE_BOOKING,
    "practice:undo_payment": PRACTICE_BOOKING,
    "practice:takings": DESK,
    "practice:record": RECORD_WRITE,
    "practice:record_versions": rule("login", 403, 403, "ok", 404, 403, 403),
    # Finding a patient: the team (each finds whom the policy lets them, no health data).
    "practice:patients": TEAM,
    "practice:patient": RECORD,
    # Hours and time off: a practitioner's own (David's remove of Mei's is a no-op), any for
    # the desk. Empty forms are refused kindly (400).
    "practice:availability": TEAM,
    "practice:hours_add": rule("login", 403, 403, 400, 400, 400, 400),
    "practice:hours_remove": TEAM,
    "practice:exception_add": rule("login", 403, 403, 400, 400, 400, 400),
    "practice:exception_remove": TEAM,
    "practice:time_off_add": rule("login", 403, 403, 400, 400, 400, 400),
    "practice:time_off_confirm": rule("login", 403, 403, 400, 400, 400, 400),
    "practice:time_off_remove": TEAM,
    "practice:feed": PRACTITIONERS,
    "practice:ics": PUBLIC,  # the secret token is the key
    # privacy: closing one's own account; the owner's retention approvals; the desk's requests
    "practice:close_account": PATIENTS,
    "practice:retention": rule("login", 403, 403, 403, 403, 403, "ok"),
    # the owner's team page: who is on the team, inviting someone
    "practice:team": rule("login", 403, 403, 403, 403, 403, "ok"),
    "practice:privacy_requests": DESK,
    "practice:privacy_request_new": DESK,
    "practice:privacy_request": DESK,
}

ROUTES = list(routes())


def test_every_url_has_its_expected_access() -> None:
    names = {r.name for r in ROUTES}
    assert names - set(EXPECTED) == set(), "give these new URLs their expected access"
    assert set(EXPECTED) - names == set(), "these URLs no longer exist"


def outcome(response: Any) -> Any:
    if response.status_code in (301, 302, 303):
        return "login" if "/accounts/login/" in response["Location"] else "ok"
    if response.status_code < 300:
        return "ok"
    return response.status_code


@pytest.fixture
def world(settings: Any) -> Any:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_url_by_role(world: Any, route: Any, role: str) -> None:
    from tests.urlwalk import url_for

    url = url_for(route, world)
    user = world.users()[role]
    client = Client() if user is None else client_for(user)
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    assert response.status_code < 500
    expected = EXPECTED[route.name][role]
    if expected != "any":
        assert outcome(response) == expected, f"{role} on {url}"
