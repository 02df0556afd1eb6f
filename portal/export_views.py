"""The "download my data" pages: the patient's request and download, the desk's request form."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import export
from portal.access import patient_required, signed_in_user, staff_required
from portal.forms import FriendlyForm
from portal.models import Clinic, ExportChannel, Role, User
from portal.team_security import sensitive_action


@never_cache
@patient_required
# The password (or a code) before the page shows, as for any sensitive act: whoever holds an
# unlocked session should not be able to walk away with the whole record.
@reauthentication_required
@require_http_methods(["GET", "POST"])
def export_request(request: HttpRequest) -> HttpResponse:
    """Ask for a copy of everything the clinic holds; the link comes by email."""
    patient = signed_in_user(request)
    if request.method == "POST":
        export.request_export(patient=patient, requested_by=patient, channel=ExportChannel.ONLINE)
        messages.success(
            request,
            "Thank you. We are preparing your data and will email you a download link "
            f"at {patient.email} within a few minutes.",
        )
        return redirect("intake:privacy")
    return render(request, "portal/export_request.html", {"days": export.EXPORT_DAYS})


@never_cache
@patient_required
# GET only: a HEAD (a link checker in the patient's own browser) must not use up the link.
@require_GET
def export_download(request: HttpRequest, token: str) -> HttpResponse:
    """The zip, once, for the patient the link was made for; otherwise a page saying why."""
    taken = export.take_download(token=token, user=signed_in_user(request))
    if isinstance(taken, export.Refused):
        status = 404 if taken.why == "unknown" else 410
        return render(request, "portal/export_refused.html", {"why": taken.why}, status=status)
    response = HttpResponse(taken, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.file_name()}"'
    return response


class DeskExportForm(FriendlyForm):
    email = forms.EmailField(
        label="The patient's email address",
        help_text="As it is on their account. The download link is sent there.",
        max_length=254,
    )
    channel = forms.ChoiceField(
        label="How did they ask?",
        choices=[(v, label) for v, label in ExportChannel.choices if v != ExportChannel.ONLINE],
        widget=forms.RadioSelect,
    )
    delivery = forms.ChoiceField(
        label="How will they get it?",
        choices=[
            ("link", "Email them a download link (they sign in to use it)"),
            (
                "handover",
                "I will download it here and post it or hand it over (only for someone "
                "who cannot sign in)",
            ),
        ],
        initial="link",
        required=False,  # left empty: a link, as before the choice existed
        widget=forms.RadioSelect,
    )
    identity_checked = forms.BooleanField(
        label="I have checked that the request comes from this patient",
        error_messages={"required": "Please check who is asking before sending their data."},
    )

    def __init__(self, *args: object, clinic: Clinic, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.clinic = clinic
        self.patient: User | None = None

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        # A closed account still has the right of access until it is anonymised.
        self.patient = User.objects.filter(
            email__iexact=email, role=Role.PATIENT, clinic=self.clinic, anonymised_at__isnull=True
        ).first()
        if self.patient is None:
            raise forms.ValidationError(
                "No patient of the clinic has that email address. Please check the spelling."
            )
        return email

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if self.patient is None:
            return cleaned
        # A hand-over for someone who can sign in is the service's to refuse (ExportRefused,
        # shown on this field by the view); a link for someone who cannot is this form's advice.
        handover = cleaned.get("delivery") == "handover"
        if not handover and not export.can_use_link(self.patient):
            self.add_error(
                "delivery",
                "This patient cannot sign in (their account is closed or has no email "
                "address), so a link would not work for them. Choose to download it here and "
                "hand it over.",
            )
        return cleaned


@never_cache
@staff_required
@sensitive_action
@require_http_methods(["GET", "POST"])
def desk_export(request: HttpRequest) -> HttpResponse:
    """The front desk records a request made by post, phone or in person and sends the export."""
    desk = signed_in_user(request)
    clinic = desk.clinic or Clinic.objects.current()
    form = DeskExportForm(request.POST if request.method == "POST" else None, clinic=clinic)
    if request.method == "POST" and form.is_valid() and form.patient is not None:
        handover = form.cleaned_data["delivery"] == "handover"
        try:
            export.request_export(
                patient=form.patient,
                requested_by=desk,
                channel=form.cleaned_data["channel"],
                handover=handover,
            )
        except export.ExportRefused as refused:
            form.add_error("delivery", str(refused))
        else:
            if handover:
                messages.success(
                    request,
                    f"Preparing {form.patient}'s data. In a minute or two a download button "
                    "appears in the list below; it works once.",
                )
            else:
                messages.success(
                    request,
                    f"Preparing {form.patient}'s data. They will be emailed a download link at "
                    f"{form.patient.email}; it works once, after they sign in.",
                )
            return redirect("desk_export")
    return render(
        request,
        "portal/desk_export.html",
        {"form": form, "exports": export.recent_exports(clinic), "days": export.EXPORT_DAYS},
    )


@never_cache
@staff_required
@sensitive_action
@require_POST
def desk_export_handover(request: HttpRequest, pk: int) -> HttpResponse:
    """The desk downloads a hand-over export, once, to post or give to the patient."""
    taken = export.take_handover(export_id=pk, by=signed_in_user(request))
    if isinstance(taken, export.Refused):
        status = 404 if taken.why == "unknown" else 410
        return render(request, "portal/export_refused.html", {"why": taken.why}, status=status)
    response = HttpResponse(taken, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.file_name()}"'
    return response
