"""The check-in form: how the patient is after a visit, acupuncture's own adverse events and the
red-flag signs, and a note that is always read (by the screen, and by a person unless it is
plainly fine)."""

from __future__ import annotations

from typing import Any

from django import forms

from intake.checkin_triage import CHECKIN_SIGNS, COMPARISONS
from portal.forms import FriendlyForm

REACTIONS = (
    ("headache", "Headache"),
    ("aching", "Aching all over"),
    ("tiredness", "Tiredness"),
    ("dizziness", "Dizziness or feeling light-headed"),
)
PAIN_CHOICES = [(n, str(n)) for n in range(11)]
# A note this long is kept and read whole; only a pasted book is refused (and kept in the box).
NOTE_LIMIT = 10_000


class CheckInForm(FriendlyForm):
    comparison = forms.ChoiceField(
        label="Compared with before your visit, how is your pain?",
        choices=COMPARISONS,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how your pain is compared with before the visit."},
    )
    pain_now = forms.TypedChoiceField(
        label="How bad is your pain right now?",
        help_text="0 is no pain, 10 is the worst pain you can imagine.",
        choices=PAIN_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a number from 0 to 10 for your pain now.",
            "invalid_choice": "Choose a number from 0 to 10 for your pain now.",
        },
    )
    needle_site_soreness = forms.BooleanField(
        label="Soreness where the needles went in", required=False
    )
    bruising = forms.BooleanField(label="A bruise where a needle went in", required=False)
    reactions = forms.MultipleChoiceField(
        label="Anything else since the visit?",
        choices=REACTIONS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    red_flags = forms.MultipleChoiceField(
        label="Since the visit, have you had any of these?",
        help_text="These need a doctor's attention, whatever the cause. Tick any that apply.",
        choices=CHECKIN_SIGNS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    note = forms.CharField(
        label="Anything you'd like to tell us?",
        help_text="In your own words. A practitioner reads anything that needs it the same day.",
        required=False,
        max_length=NOTE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "max_length": "Please shorten your note to %(limit_value)d characters (it has "
            "%(show_value)d). What you typed is still in the box.",
        },
    )
    wants_call = forms.BooleanField(label="I would like a call from the clinic", required=False)

    def answers(self) -> dict[str, Any]:
        """The cleaned answers, as stored (encrypted) on the check-in."""
        data = self.cleaned_data
        return {
            "comparison": data["comparison"],
            "pain_now": data["pain_now"],
            "needle_site_soreness": data["needle_site_soreness"],
            "bruising": data["bruising"],
            "reactions": list(data["reactions"]),
            "red_flags": list(data["red_flags"]),
            "note": data["note"].strip(),
            "wants_call": data["wants_call"],
        }
