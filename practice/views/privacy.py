"""Closing an account (the patient), approving anonymisation (the owner), and erasure and
rectification requests (the front desk and the owner)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from intake.access import no_store
from portal import policy
from portal.access import owner_required, patient_required, signed_in_user, staff_required
from portal.models import Clinic
from portal.params import parse_id
from portal.team_security import sensitive_action
from practice import privacy_requests, retention
from practice.models import PrivacyRequest, PrivacyRequestKind, PrivacyRequestStatus
from practice.privacy_forms import DecisionForm, RecordRequestForm, RectifyForm

View = Callable[..., HttpResponse]


@no_store
@patient_required
@sensitive_action
@require_http_methods(["GET", "POST"])
def close_account(request: HttpRequest) -> HttpResponse:
    """What closing the account deletes and what the clinic must keep; then, on confirm, close."""
    patient = signed_in_user(request)
    plan = retention.closing_plan(patient)
    if request.method == "POST" and request.POST.get("confirm") == "close":
        try:
            outcome = retention.close_account(patient=patient, by=patient)
        except retention.CannotClose as exc:
            messages.error(request, str(exc))
            return redirect("practice:close_account")
        logout(request)
        messages.success(
            request,
            "Your account is closed."
            if outcome != "deleted"
            else "Your account and everything in it are deleted.",
        )
        return redirect("home")
    return render(
        request,
        "practice/close_account.html",
        {"plan": plan, "retention_years": Clinic.objects.current().health_record_retention_years},
    )


@no_store
@owner_required
@sensitive_action
@require_http_methods(["GET", "POST"])
def retention_review(request: HttpRequest) -> HttpResponse:
    """The owner's list of people past retention, with a dry run, and the approve button."""
    if request.method == "POST":
        # ASCII digits only: str.isdigit() also passes "²", which int() refuses (a 500).
        case_id = parse_id(request.POST.get("case"))
        if case_id is not None and retention.approve(case_id=case_id, by=signed_in_user(request)):
            from practice.tasks import anonymise_case

            transaction.on_commit(lambda: anonymise_case.delay(case_id))
            messages.success(request, "Approved. The person is anonymised in a moment.")
        else:
            messages.info(request, "That case was already approved or is no longer listed.")
        return redirect("practice:retention")
    return render(
        request,
        "practice/retention.html",
        {
            "cases": retention.open_cases(),
            "plan": retention.dry_run(),
            "years": Clinic.objects.current().health_record_retention_years,
        },
    )


@no_store
@staff_required
@require_safe
def request_list(request: HttpRequest) -> HttpResponse:
    requests = PrivacyRequest.objects.select_related("patient", "recorded_by")[:200]
    return render(request, "practice/privacy_requests.html", {"requests": requests})


@no_store
@staff_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    form = RecordRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        created = privacy_requests.record_request(
            patient=form.cleaned_data["patient_email"],
            kind=form.cleaned_data["kind"],
            received_via=form.cleaned_data["received_via"],
            details=form.cleaned_data["details"],
            by=signed_in_user(request),
        )
        messages.success(request, "Request recorded.")
        return redirect("practice:privacy_request", pk=created.pk)
    return render(request, "practice/privacy_request_new.html", {"form": form})


@no_store
@staff_required
# Deciding, erasing (anonymise or close the account) and rectifying are final: the password or
# a code again first, as for the owner's retention approval.
@sensitive_action
@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: the answer for each kind of record, the decision, and completing it."""
    item = get_object_or_404(PrivacyRequest.objects.select_related("patient"), pk=pk)
    decision_form = DecisionForm(None, initial={"decision": item.decision})
    may_change_email = policy.may_change_sign_in_email(signed_in_user(request))
    rectify_form = RectifyForm(None, patient=item.patient, may_change_email=may_change_email)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "decide":
                decision_form = DecisionForm(request.POST)
                if decision_form.is_valid():
                    privacy_requests.decide(
                        request=item,
                        decision=decision_form.cleaned_data["decision"],
                        by=signed_in_user(request),
                    )
                    messages.success(request, "Decision recorded.")
                    return redirect("practice:privacy_request", pk=item.pk)
            elif action == "erase" and item.kind == PrivacyRequestKind.ERASURE:
                messages.success(
                    request,
                    privacy_requests.complete_erasure(request=item, by=signed_in_user(request)),
                )
                return redirect("practice:privacy_request", pk=item.pk)
            elif action == "rectify" and item.kind == PrivacyRequestKind.RECTIFICATION:
                rectify_form = RectifyForm(
                    request.POST, patient=item.patient, may_change_email=may_change_email
                )
                if rectify_form.is_valid():
                    messages.success(
                        request,
                        privacy_requests.complete_rectification(
                            request=item, by=signed_in_user(request), **rectify_form.cleaned_data
                        ),
                    )
                    return redirect("practice:privacy_request", pk=item.pk)
        except privacy_requests.RequestError as exc:
            messages.error(request, str(exc))
            return redirect("practice:privacy_request", pk=item.pk)
    completed = item.status == PrivacyRequestStatus.COMPLETED
    return render(
        request,
        "practice/privacy_request.html",
        {
            "item": item,
            "answers": [] if completed else privacy_requests.answers(item),
            "steps": item.steps.all(),
            "decision_form": decision_form,
            "rectify_form": rectify_form,
            "decided": item.status == PrivacyRequestStatus.DECIDED,
            "completed": completed,
            "may_erase": policy.may_complete_erasure(signed_in_user(request)),
        },
    )
