"""'See this record anyway' pages: the practitioner's ask (a reason, after re-authenticating)
and the owner's list of every such read."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from intake import breakglass
from intake.access import no_store
from portal import policy
from portal.access import owner_required, practitioner_required, signed_in_user
from portal.forms import FriendlyForm
from portal.models import Clinic, Role, User
from portal.params import safe_next


class SeeAnywayForm(FriendlyForm):
    reason = forms.CharField(
        label="Why do you need to read this record?",
        help_text=(
            "For example: urgent alert, covering for a colleague today. The patient will see "
            "this reason and your name."
        ),
        min_length=breakglass.REASON_MIN_LENGTH,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Please say why you need to read this record.",
            "min_length": "Please say a little more about why you need to read it.",
        },
    )


def _next(request: HttpRequest, patient: User) -> str:
    wanted = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    return wanted or reverse("practice:patient", args=[patient.pk])


@no_store
@practitioner_required
# The password (or a code) first, before the form: a reason typed and then sent away to
# re-authenticate would be lost.
@reauthentication_required
@require_http_methods(["GET", "POST"])
def see_anyway(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Ask to read a patient's record outside the care relationship, with a reason."""
    viewer = signed_in_user(request)
    patient = get_object_or_404(User, pk=patient_id, role=Role.PATIENT)
    if not policy.may_ask_to_see_anyway(viewer, patient):
        raise Http404("No such patient")
    if policy.may_read_record(viewer, patient):
        return redirect(_next(request, patient))
    form = SeeAnywayForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = breakglass.grant_see_anyway(
                viewer=viewer, patient=patient, reason=form.cleaned_data["reason"]
            )
        except breakglass.GrantRefused as exc:
            form.add_error("reason", str(exc))
        else:
            messages.info(
                request,
                f"You can read {patient}'s record until "
                f"{grant.expires_at.astimezone(grant.clinic.tz):%H:%M on %-d %B}. "
                "The patient and the clinic owner can see that you did, and why.",
            )
            return redirect(_next(request, patient))
    return render(
        request,
        "intake/see_anyway.html",
        {
            "patient": patient,
            "named": policy.may_name_patient(viewer, patient),
            "form": form,
            "next": _next(request, patient),
        },
    )


@no_store
@owner_required
@require_safe
def record_access(request: HttpRequest) -> HttpResponse:
    """The owner's list of every "see this record anyway", newest first."""
    owner = signed_in_user(request)
    grants = breakglass.all_grants(owner.clinic_id or Clinic.objects.current().pk)[:300]
    return render(request, "intake/record_access.html", {"grants": grants})
