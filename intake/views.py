"""The patient's health pages: the questionnaire, the pain diary and who read their record.

Every page here sends ``Cache-Control: no-store`` and shows only the signed-in
patient's own data; another patient's response id is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from intake import breakglass, services
from intake.access import no_store
from intake.forms import raw_from_post, section_form, validate_all
from intake.models import HealthAccess, IntakeResponse, ResponseStatus
from intake.questionnaire import CURRENT, FULL, KINDS, SHORT, Questionnaire, current
from intake.summary import answers_by_section
from intake.triage import Level
from portal.access import patient_required, signed_in_user
from portal.models import Clinic, DataExport
from portal.opening_hours import callback_day
from portal.params import safe_next

NEXT_KEY = "intake_next"


def _get_response_for_patient(request: HttpRequest, pk: int) -> IntakeResponse:
    """The signed-in patient's own response, or 404."""
    return get_object_or_404(IntakeResponse, pk=pk, patient_id=request.user.pk)


def _step_url(response: IntakeResponse, slug: str) -> str:
    return reverse("intake:step", args=[response.pk, slug])


@no_store
@patient_required
@require_safe
def intake_home(request: HttpRequest) -> HttpResponse:
    """Start, resume or update the questionnaire, and see what was sent before."""
    patient = signed_in_user(request)
    wanted = request.GET.get("kind")
    next_url = safe_next(request, request.GET.get("next"))
    if next_url:
        request.session[NEXT_KEY] = next_url
    drafts = {r.kind: r for r in IntakeResponse.objects.filter(patient=patient, status="draft")}
    history = IntakeResponse.objects.filter(
        patient=patient, status=ResponseStatus.SUBMITTED
    ).order_by("-submitted_at")
    return render(
        request,
        "intake/home.html",
        {
            "drafts": drafts,
            "history": history,
            "has_full": any(r.kind == FULL for r in history),
            "has_any": bool(history),
            "wanted": wanted if wanted in CURRENT else None,
            "full": CURRENT[FULL],
            "short": CURRENT[SHORT],
            "kinds": KINDS,
            "booking_next": request.session.get(NEXT_KEY),
        },
    )


@no_store
@patient_required
@require_POST
def intake_start(request: HttpRequest) -> HttpResponse:
    kind = request.POST.get("kind")
    if kind not in CURRENT:
        messages.error(request, "Please choose which questionnaire to fill in.")
        return redirect("intake:home")
    draft = services.intake_start(patient=signed_in_user(request), kind=kind)
    questionnaire = current(kind)
    if not draft.last_step:
        return redirect(_step_url(draft, questionnaire.sections[0].slug))
    # Resume at the first step that still needs something; all done means "check your answers".
    problems = validate_all(questionnaire, draft.answers).problems
    if not problems:
        return redirect("intake:review", pk=draft.pk)
    return redirect(_step_url(draft, problems[0].section.slug))


def _draft_or_redirect(
    request: HttpRequest, pk: int
) -> tuple[IntakeResponse, Questionnaire] | HttpResponse:
    response = _get_response_for_patient(request, pk)
    if not response.is_draft:
        messages.info(request, "This questionnaire has been sent. Here is what you told us.")
        return redirect("intake:response", pk=response.pk)
    return response, current(response.kind)


@no_store
@patient_required
@require_http_methods(["GET", "POST"])
def intake_step(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """One section: saved on every submit (even with errors), then on to the next."""
    found = _draft_or_redirect(request, pk)
    if isinstance(found, HttpResponse):
        return found
    draft, questionnaire = found
    section = questionnaire.section(slug)
    if section is None:
        raise Http404("No such step")
    stale = False
    if request.method == "POST":
        raw = raw_from_post(section, request.POST)
        draft = services.intake_save_draft(response=draft, section=section, raw=raw)
        # A page opened before the questions changed: its answers are kept, but the patient
        # sees the current page before moving on.
        stale = request.POST.get("version") != str(questionnaire.version)
        if request.POST.get("action") == "save_exit":
            messages.success(
                request,
                "Your answers are saved. Come back any time to carry on where you left off.",
            )
            # The kind keeps the booking banner right: the short one is enough for an assessment.
            return redirect(f"{reverse('intake:home')}?kind={draft.kind}")
        previous = questionnaire.previous_section(section.slug)
        if request.POST.get("action") == "back" and previous is not None:
            return redirect(_step_url(draft, previous.slug))
    bound = request.method == "POST" or request.GET.get("check") == "1"
    form = section_form(section, draft.answers, bound=bound)
    if request.method == "POST" and not stale and form.is_valid():
        following = questionnaire.next_section(section.slug)
        if following is None:
            return redirect("intake:review", pk=draft.pk)
        return redirect(_step_url(draft, following.slug))
    if stale:
        messages.warning(
            request,
            "The questionnaire was updated while you had it open. Your answers are saved; "
            "please check this page and continue.",
        )
    index = questionnaire.sections.index(section)
    previous = questionnaire.previous_section(section.slug)
    return render(
        request,
        "intake/step.html",
        {
            "draft": draft,
            "questionnaire": questionnaire,
            "section": section,
            "form": form,
            "step_number": index + 1,
            "step_count": len(questionnaire.sections),
            "previous_url": _step_url(draft, previous.slug) if previous else None,
            "is_last": index + 1 == len(questionnaire.sections),
        },
    )


@no_store
@require_POST
def intake_autosave(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """Save a section as the patient types (htmx); answers a small status fragment."""
    if not request.user.is_authenticated:
        # No login redirect here: htmx would put the login page inside the status line.
        return HttpResponse(
            "Not saved: you have been signed out. Sign in again and your saved answers "
            "will be waiting.",
            status=401,
        )
    response = get_object_or_404(IntakeResponse, pk=pk, patient_id=request.user.pk)
    section = current(response.kind).section(slug)
    if section is None:
        raise Http404("No such step")
    try:
        services.intake_save_draft(
            response=response, section=section, raw=raw_from_post(section, request.POST)
        )
    except services.IntakeError as exc:
        return HttpResponse(exc.message, status=409)
    saved = timezone.localtime().strftime("%H:%M")
    return HttpResponse(f"Saved at {saved}")


@no_store
@patient_required
@require_http_methods(["GET", "POST"])
def intake_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Check your answers, then send."""
    found = _draft_or_redirect(request, pk)
    if isinstance(found, HttpResponse):
        return found
    draft, questionnaire = found
    if request.method == "POST":
        try:
            services.intake_submit(response=draft)
        except services.IntakeIncomplete:
            messages.error(request, "Some answers need checking before you can send them.")
        except services.IntakeError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("intake:sent", pk=draft.pk)
    validated = validate_all(questionnaire, draft.answers)
    problem_slugs = {form.section.slug for form in validated.problems}
    return render(
        request,
        "intake/review.html",
        {
            "draft": draft,
            "questionnaire": questionnaire,
            "sections": answers_by_section(draft.kind, draft.version, validated.answers),
            "problems": validated.problems,
            "problem_slugs": problem_slugs,
            "unanswered": [
                s
                for s in questionnaire.sections
                if s.slug not in problem_slugs
                and not any(q.key in validated.answers for q in s.questions)
            ],
        },
    )


@no_store
@patient_required
@require_safe
def intake_sent(request: HttpRequest, pk: int) -> HttpResponse:
    """Thank you, or a page for the triage level: 999 now, same-day care, or a practitioner's
    review before treatment. Only the plain "thank you" page offers to book."""
    response = _get_response_for_patient(request, pk)
    if response.is_draft:
        return redirect("intake:review", pk=response.pk)
    outcome = services.response_outcome(response)
    next_url = None
    if not outcome.level:
        # The time the patient was booking when sent here stays with this questionnaire's
        # page, so a reload still offers it, and a later questionnaire never does.
        kept = f"{NEXT_KEY}:{response.pk}"
        next_url = request.session.pop(NEXT_KEY, None) or request.session.get(kept)
        if next_url:
            request.session[kept] = next_url
    clinic = Clinic.objects.current()
    return render(
        request,
        SENT_TEMPLATES[outcome.level] if outcome.level else "intake/sent.html",
        {
            "response": response,
            "outcome": outcome,
            "next_url": safe_next(request, next_url),
            "clinic": clinic,
            "callback_day": callback_day(clinic, timezone.now()),
        },
    )


SENT_TEMPLATES = {
    Level.EMERGENCY: "intake/sent_emergency.html",
    Level.URGENT: "intake/urgent.html",
    Level.REVIEW: "intake/sent_review.html",
}


@no_store
@patient_required
@require_safe
def intake_response(request: HttpRequest, pk: int) -> HttpResponse:
    """A questionnaire the patient sent, as they answered it."""
    response = _get_response_for_patient(request, pk)
    if response.is_draft:
        return redirect("intake:review", pk=response.pk)
    return render(
        request,
        "intake/response.html",
        {
            "response": response,
            "sections": answers_by_section(response.kind, response.version, response.answers),
        },
    )


@no_store
@patient_required
@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    """Who at the clinic has looked at the patient's health record, and when."""
    reads = (
        HealthAccess.objects.filter(patient=signed_in_user(request))
        .select_related("viewer")
        .order_by("-at")[:200]
    )
    grants = breakglass.grants_about(signed_in_user(request))[:100]
    exports = DataExport.objects.filter(patient=signed_in_user(request)).defer("archive")[:5]
    return render(
        request, "intake/privacy.html", {"reads": reads, "grants": grants, "exports": exports}
    )
