"""Forms built from the questionnaire definition, one per section, plus the diary form.

Drafts keep what was typed ("raw" form values: strings and lists of strings), so
nothing is lost even when it does not validate; ``validate_all`` turns a whole
draft into typed answers (ints, booleans, lists) or says which sections need work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import forms
from django.utils import timezone

from intake.diary import diary_when_problem
from intake.models import DIARY_TAGS
from intake.questionnaire import NONE, Question, Questionnaire, Section
from portal.forms import FriendlyForm
from portal.phones import INVALID_PHONE, parse_phone

# A draft keeps at most this much of any one typed answer (a pasted novel is cut here,
# well past every question's own limit, so the "too long" message can still show it).
RAW_LIMIT = 20_000
SCALE_CHOICES = [(str(n), str(n)) for n in range(11)]
YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes_no(value: str) -> bool:
    return value == "yes"


def _field_for(question: Question) -> forms.Field:
    # Fields asked only under a condition are checked in ``clean`` (they may not apply).
    required = question.required and question.show_if is None
    common: dict[str, Any] = {"label": question.label, "help_text": question.help}
    if question.widget == "scale":
        return forms.TypedChoiceField(
            choices=SCALE_CHOICES,
            coerce=int,
            widget=forms.RadioSelect(attrs={"class": "scale"}),
            required=required,
            error_messages={
                "invalid_choice": "Choose a number from 0 (no pain) to 10 (the worst).",
                "required": "Choose a number from 0 to 10.",
            },
            **common,
        )
    if question.widget == "yesno":
        return forms.TypedChoiceField(
            choices=YES_NO,
            coerce=_yes_no,
            widget=forms.RadioSelect(attrs={"class": "yesno"}),
            required=required,
            error_messages={"required": "Please answer yes or no."},
            **common,
        )
    if question.widget == "choice":
        return forms.ChoiceField(
            choices=list(question.choices),
            widget=forms.RadioSelect,
            required=required,
            error_messages={"required": "Please choose one."},
            **common,
        )
    if question.widget == "multi":
        return forms.MultipleChoiceField(
            choices=list(question.choices),
            widget=forms.CheckboxSelectMultiple,
            required=required,
            error_messages={"required": "Please tick at least one."},
            **common,
        )
    if question.widget == "consent":
        return forms.BooleanField(
            required=required,
            error_messages={"required": "Please tick this box to continue."},
            **common,
        )
    if question.widget == "date":
        return forms.DateField(
            required=required,
            widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
            input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"],
            error_messages={
                "required": "Please enter your date of birth.",
                "invalid": "Enter a real date, for example 21/03/1978.",
            },
            **common,
        )
    if question.widget == "number":
        low, high = question.min_value, question.max_value
        counted = f"the number of {question.unit} as a whole number" if question.unit else ""
        in_range = (
            f"Please enter {counted or 'a whole number'} from {low} to {high}, "
            f"for example {min(high, low + 11)}."
        )
        return forms.IntegerField(
            required=required,
            min_value=question.min_value,
            max_value=question.max_value,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            error_messages={"invalid": in_range, "min_value": in_range, "max_value": in_range},
            **common,
        )
    attrs: dict[str, str] = {}
    if question.widget == "tel":
        attrs = {"autocomplete": "tel", "inputmode": "tel"}
    widget: forms.Widget = (
        forms.Textarea(attrs={"rows": 4, **attrs})
        if question.widget == "textarea"
        else forms.TextInput(attrs=attrs)
    )
    return forms.CharField(
        max_length=question.max_length,
        widget=widget,
        validators=[_real_phone] if question.widget == "tel" else [],
        required=required,
        error_messages={
            "required": "Please answer this question.",
            "max_length": "Please shorten this to %(limit_value)d characters "
            "(it has %(show_value)d).",
        },
        **common,
    )


class SectionForm(FriendlyForm):
    """The questions of one section; ``clean`` applies conditions and cross-checks."""

    section: Section

    def __init__(self, *args: Any, section: Section, **kwargs: Any) -> None:
        self.section = section
        super().__init__(*args, **kwargs)
        for question in section.questions:
            self.fields[question.key] = _field_for(question)

    def questions(self) -> list[tuple[Question, forms.BoundField]]:
        return [(q, self[q.key]) for q in self.section.questions]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for question in self.section.questions:
            if self._applies(question, data):
                self._check_exclusive(question, data.get(question.key))
        self._check_date_of_birth(data.get("date_of_birth"))
        self._check_pain(data.get("pain_now"), data.get("pain_worst"), data.get("pain_best"))
        return data

    def _applies(self, question: Question, data: dict[str, Any]) -> bool:
        """Whether ``question`` applies given the answers so far. One that does not is dropped
        with its errors; a required one that does must be answered."""
        if question.show_if is None:
            return True
        if not question.is_shown(data):
            data.pop(question.key, None)
            self.errors.pop(question.key, None)
            return False
        if question.required and data.get(question.key) in (None, "", [], False):
            self.add_error(question.key, "Please answer this, as it applies to you.")
        return True

    def _check_exclusive(self, question: Question, value: Any) -> None:
        """An answer such as "None of these" is ticked alone."""
        if not (question.exclusive and isinstance(value, list) and len(value) > 1):
            return
        alone = [v for v in value if v in question.exclusive]
        if alone:
            label = question.choice_label(alone[0])
            self.add_error(question.key, f"'{label}' cannot be ticked together with other answers.")

    def _check_date_of_birth(self, born: Any) -> None:
        if not isinstance(born, date):
            return
        today = timezone.localdate()
        if born > today:
            self.add_error("date_of_birth", "That date is in the future. Please check it.")
        elif born.year < today.year - 120:
            self.add_error("date_of_birth", "Please check the year you were born.")

    def _check_pain(self, now: Any, worst: Any, best: Any) -> None:
        """The pain scores agree: at its best no higher, right now no higher, than at its worst."""
        if not isinstance(worst, int):
            return
        if isinstance(best, int) and best > worst:
            self.add_error("pain_best", "Your pain at its best cannot be higher than at its worst.")
        if isinstance(now, int) and now > worst:
            self.add_error(
                "pain_worst", "Your pain at its worst cannot be lower than your pain right now."
            )

    def typed_answers(self) -> dict[str, object]:
        """The answers given (empty optional ones left out), for a form that is valid."""
        answers: dict[str, object] = {}
        for q in self.section.questions:
            value = self.cleaned_data.get(q.key)
            # "No" is an answer; an empty box or an unticked consent is not.
            if value in (None, "", []) or (value is False and q.widget == "consent"):
                continue
            # Answers are stored as JSON: a date as its ISO text.
            answers[q.key] = value.isoformat() if isinstance(value, date) else value
        return answers


def raw_from_post(section: Section, data: Mapping[str, Any]) -> dict[str, object]:
    """What was typed into one section's fields, as storable JSON (nothing validated)."""
    raw: dict[str, object] = {}
    for question in section.questions:
        if question.widget == "multi":
            getlist = getattr(data, "getlist", None)
            values = getlist(question.key) if getlist else data.get(question.key, [])
            raw[question.key] = [str(v)[:200] for v in (values or [])][:50]
        else:
            raw[question.key] = str(data.get(question.key, ""))[:RAW_LIMIT]
    return raw


def _real_phone(value: str) -> None:
    if value.strip() and parse_phone(value) is None:
        raise forms.ValidationError(INVALID_PHONE)


def raw_from_typed(questionnaire: Questionnaire, typed: Mapping[str, object]) -> dict[str, object]:
    """A submitted response's answers as form values, to start an update from them."""
    raw: dict[str, object] = {}
    for key, value in typed.items():
        question = questionnaire.questions_by_key.get(key)
        if question is None:
            continue
        if question.widget == "yesno":
            raw[key] = "yes" if value is True else "no" if value is False else ""
        elif question.widget == "consent":
            # Consent is given afresh on every update.
            continue
        elif isinstance(value, list):
            raw[key] = [str(v) for v in value]
        else:
            raw[key] = str(value)
    return raw


def section_form(section: Section, raw: Mapping[str, object], *, bound: bool) -> SectionForm:
    """A section's form filled with the draft's values: bound (validated) or as initial values."""
    values = {q.key: raw[q.key] for q in section.questions if q.key in raw}
    if bound:
        return SectionForm(values, section=section)
    return SectionForm(initial=values, section=section)


@dataclass
class Validated:
    answers: dict[str, object]
    # Sections with a problem, in questionnaire order, each with its bound form.
    problems: list[SectionForm]

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_all(questionnaire: Questionnaire, raw: Mapping[str, object]) -> Validated:
    """Validate a whole draft: typed answers if every section is valid, else the problems."""
    answers: dict[str, object] = {}
    problems: list[SectionForm] = []
    for section in questionnaire.sections:
        form = section_form(section, raw, bound=True)
        if form.is_valid():
            answers.update(form.typed_answers())
        else:
            problems.append(form)
    return Validated(answers=answers, problems=problems)


def display_answer(question: Question | None, value: object) -> str:
    """An answer in words, for summaries and "check your answers"."""
    if value is True:
        return "Yes" if question is None or question.widget != "consent" else "Agreed"
    if value is False:
        return "No"
    if isinstance(value, list):
        if question is None:
            return ", ".join(str(v) for v in value)
        if value == [NONE]:
            return question.choice_label(NONE)
        return ", ".join(question.choice_label(v) for v in value)
    if question is not None and question.widget == "scale":
        return f"{value} out of 10"
    if question is not None and question.widget == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%-d %B %Y")
        except ValueError:
            return value
    if question is not None and question.choices:
        return question.choice_label(value)
    return str(value)


class DiaryForm(FriendlyForm):
    pain = forms.TypedChoiceField(
        label="How bad is your pain?",
        help_text="0 means no pain at all, 10 the worst pain you can imagine.",
        choices=SCALE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
        error_messages={
            "required": "Choose a number from 0 to 10.",
            "invalid_choice": "Choose a number from 0 (no pain) to 10 (the worst).",
        },
    )
    recorded_at = forms.DateTimeField(
        label="When",
        required=False,
        help_text="Leave as it is for now, or change it to record an earlier moment.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        # The example in the message parses too (a browser without a date picker shows a box).
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        error_messages={"invalid": "Enter a date and time, for example 21/03/2027 09:30."},
    )
    tags = forms.MultipleChoiceField(
        label="Anything that goes with it?",
        required=False,
        choices=DIARY_TAGS,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you were doing, how you slept, how you reacted to treatment.",
        error_messages={
            "max_length": "Please shorten your note to %(limit_value)d characters "
            "(it has %(show_value)d)."
        },
    )

    def __init__(self, *args: Any, patient: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient

    def clean_recorded_at(self) -> datetime | None:
        value: datetime | None = self.cleaned_data.get("recorded_at")
        if value is None:
            return value
        problem = diary_when_problem(self.patient, value, now=timezone.now())
        if problem:
            raise forms.ValidationError(problem)
        return value


class FlagClearForm(FriendlyForm):
    """The optional note a team member leaves when clearing a flag."""

    note = forms.CharField(
        required=False,
        max_length=300,
        error_messages={
            "null_characters_not_allowed": "The note holds a character we cannot save. "
            "Please type it again; the flag is still open.",
            "max_length": "Please keep the note to 300 characters; the flag is still open.",
        },
    )

    def problem(self) -> str:
        """The first thing wrong with the note, to show after the redirect."""
        return next((str(e) for errors in self.errors.values() for e in errors), "")
