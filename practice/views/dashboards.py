"""The patient's, the practitioner's and the desk's dashboards.

They live here, in the app on top, because each gathers facts from the apps below it
(booking, intake, followup and practice's own glance): importing those here is the normal
direction, where ``portal`` would have had to reach up inside functions.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from booking.summaries import day_list, patient_journey, upcoming_for_patient
from followup.summaries import followup_patients, open_checkins, practitioner_followup
from intake.access_log import log_health_glance
from intake.dashboard import attention_patients, team_attention
from intake.services import has_complete_intake
from portal.access import patient_required, practitioner_required, signed_in_user, staff_required
from portal.models import Clinic
from practice.glance import glance_for


@patient_required
def patient_dashboard(request: HttpRequest) -> HttpResponse:
    patient = signed_in_user(request)
    clinic = Clinic.objects.current()
    return render(
        request,
        "portal/dashboard_patient.html",
        {
            "upcoming": upcoming_for_patient(patient),
            "intake_done": has_complete_intake(patient),
            "open_checkins": open_checkins(patient),
            "journey": patient_journey(patient, clinic),
            "clinic": clinic,
        },
    )


@practitioner_required
def practitioner_dashboard(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    today = list(day_list(Clinic.objects.current(), practitioner_user=user))
    attention = team_attention(user)
    followup = practitioner_followup(user)
    log_health_glance(
        viewer=user,
        patient_ids=attention_patients(attention) | followup_patients(followup),
        what="alerts and flags on the team's dashboard",
        request=request,
    )
    return render(
        request,
        "portal/dashboard_practitioner.html",
        {"today": today, "glance": glance_for(today, viewer=user), **attention, **followup},
    )


@staff_required
def staff_dashboard(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    attention = team_attention(user)
    log_health_glance(
        viewer=user,
        patient_ids=attention_patients(attention),
        what="alerts and flags on the team's dashboard",
        request=request,
    )
    return render(
        request,
        "portal/dashboard_staff.html",
        {"today": day_list(Clinic.objects.current()), **attention},
    )
