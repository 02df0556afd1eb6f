"""The practitioner's workspace: calendar, room lane, attendance, treatment records, feeds."""

from django.urls import path, re_path

from practice.views import (
    availability,
    calendar,
    closures,
    feeds,
    patients,
    privacy,
    records,
    takings,
    team,
    visits,
    waitlist,
)

app_name = "practice"

urlpatterns = [
    path("practice/calendar/", calendar.week, name="week"),
    path("practice/calendar/day/", calendar.day, name="day"),
    path("practice/room/", calendar.room_lane, name="room"),
    path("practice/bookings/<int:pk>/", visits.booking_detail, name="booking"),
    path("practice/bookings/<int:pk>/arrived/", visits.mark_arrived, name="arrived"),
    path("practice/bookings/<int:pk>/attendance/", visits.mark_attendance, name="attendance"),
    path("practice/bookings/<int:pk>/record/", visits.treatment_record, name="record"),
    path(
        "practice/bookings/<int:pk>/record/versions/",
        records.record_versions,
        name="record_versions",
    ),
    path("practice/bookings/<int:pk>/cancel/", visits.cancel_visit, name="cancel"),
    path("practice/bookings/<int:pk>/payment/", takings.take_payment, name="take_payment"),
    path("practice/bookings/<int:pk>/payment/undo/", takings.undo_payment, name="undo_payment"),
    path("desk/takings/", takings.takings, name="takings"),
    path("practice/patients/", patients.patients, name="patients"),
    path("practice/patients/<int:pk>/", visits.patient_detail, name="patient"),
    path("practice/availability/", availability.availability, name="availability"),
    path("practice/availability/hours/", availability.hours_add, name="hours_add"),
    path(
        "practice/availability/hours/<int:pk>/remove/",
        availability.hours_remove,
        name="hours_remove",
    ),
    path("practice/availability/dates/", availability.exception_add, name="exception_add"),
    path(
        "practice/availability/dates/<int:pk>/remove/",
        availability.exception_remove,
        name="exception_remove",
    ),
    path("practice/availability/time-off/", availability.time_off_add, name="time_off_add"),
    path(
        "practice/availability/time-off/confirm/",
        availability.time_off_confirm,
        name="time_off_confirm",
    ),
    path(
        "practice/availability/time-off/<int:pk>/remove/",
        availability.time_off_remove,
        name="time_off_remove",
    ),
    path("practice/feed/", feeds.feed_settings, name="feed"),
    path("practice/waiting-list/", waitlist.waitlist_page, name="waitlist"),
    path("practice/waiting-list/<int:pk>/remove/", waitlist.remove_entry, name="waitlist_remove"),
    path("practice/waiting-list/<int:pk>/offer/", waitlist.offer_place, name="waitlist_offer"),
    path("me/privacy/close/", privacy.close_account, name="close_account"),
    path("desk/retention/", privacy.retention_review, name="retention"),
    path("desk/team/", team.team, name="team"),
    path(
        "desk/closures/<int:pk>/cancel-visits/",
        closures.cancel_closure_visits,
        name="closure_cancel",
    ),
    path("desk/privacy-requests/", privacy.request_list, name="privacy_requests"),
    path("desk/privacy-requests/new/", privacy.request_new, name="privacy_request_new"),
    path("desk/privacy-requests/<int:pk>/", privacy.request_detail, name="privacy_request"),
    re_path(r"^feeds/(?P<token>[A-Za-z0-9_-]{20,64})\.ics$", feeds.ics, name="ics"),
]
