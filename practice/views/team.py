"""The owner's team page: who is on the team, and inviting someone new."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal.access import owner_required, signed_in_user
from portal.models import Clinic, Role
from portal.team_security import sensitive_action
from practice.team import AlreadyHasAccount, invite_team_member, team_members
from practice.team_forms import InviteForm


@owner_required
@sensitive_action
@require_http_methods(["GET", "POST"])
def team(request: HttpRequest) -> HttpResponse:
    """The team, and the form that invites a practitioner or a front-desk member by email."""
    owner = signed_in_user(request)
    clinic = Clinic.objects.current()
    form = InviteForm(request.POST if request.method == "POST" else None, clinic=clinic)
    existing = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        role = data["role"]
        try:
            person = invite_team_member(
                owner=owner,
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                role=role,
                services=data["services"] if role == Role.PRACTITIONER else (),
            )
        except AlreadyHasAccount as found:
            existing = found.user
        else:
            messages.success(
                request,
                f"{person.get_full_name()} is invited: an email with a link to choose a "
                "password is on its way. The link works for three days.",
            )
            return redirect("practice:team")
    return render(
        request,
        "practice/team.html",
        {"form": form, "members": team_members(clinic), "existing": existing},
        status=400 if form.errors or existing else 200,
    )
