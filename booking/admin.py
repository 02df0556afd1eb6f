from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from booking.models import (
    Booking,
    DateException,
    MultibedShift,
    Practitioner,
    Room,
    Service,
    TimeOff,
    WeeklyHours,
)
from portal.policy import is_owner

# Which account signs in as the practitioner, and their clinic: the owner's alone.
OWNER_ONLY_PRACTITIONER_FIELDS = ("user", "clinic")


class WeeklyHoursInline(admin.TabularInline[WeeklyHours, Practitioner]):
    model = WeeklyHours
    extra = 0


class DateExceptionInline(admin.TabularInline[DateException, Practitioner]):
    model = DateException
    extra = 0


class TimeOffInline(admin.TabularInline[TimeOff, Practitioner]):
    model = TimeOff
    extra = 0


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin[Practitioner]):
    list_display = ("display_name", "title", "style", "is_bookable")
    fields = ("user", "clinic", "display_name", "title", "style", "bio", "photo", "is_bookable")
    inlines = (WeeklyHoursInline, DateExceptionInline, TimeOffInline)
    raw_id_fields = ("user",)

    def get_readonly_fields(self, request: HttpRequest, obj: Practitioner | None = None) -> Any:
        # Whose sign-in a profile is decides whose patients that account may read (care
        # relationships follow ``practitioner__user``) and where its calendar feed goes: the
        # owner's to set, like a role. The desk edits what patients read and the hours (a
        # read-only field is left out of the form, so a posted value is never read).
        if is_owner(request.user):
            return self.readonly_fields
        return (*self.readonly_fields, *OWNER_ONLY_PRACTITIONER_FIELDS)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin[Service]):
    list_display = ("name", "kind", "duration_minutes", "price_minor", "is_active", "position")
    list_filter = ("kind", "is_active")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("practitioners",)


class ShiftInline(admin.TabularInline[MultibedShift, Room]):
    model = MultibedShift
    extra = 0


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin[Room]):
    list_display = ("name", "recliners", "clinic")
    inlines = (ShiftInline,)


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin[Booking]):
    list_display = ("starts_at", "service", "patient", "practitioner", "status")
    list_filter = ("status", "kind", "practitioner")
    date_hierarchy = "starts_at"
    search_fields = ("patient__email", "patient__first_name", "patient__last_name")
    raw_id_fields = ("patient", "booked_by", "rescheduled_from")
    # Where and when a visit is, and what it is, change only through the booking pages (a move
    # re-checks capacity and the patient's other visits; the blocked time follows the service).
    readonly_fields = (
        "service",
        "kind",
        "practitioner",
        "room",
        "starts_at",
        "ends_at",
        "blocked_from",
        "blocked_until",
        "request_key",
        "created_at",
    )

    def has_add_permission(self, request: object) -> bool:
        # Bookings are made through the booking pages so capacity rules always apply.
        return False
