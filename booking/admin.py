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

    def get_readonly_fields(self, request: HttpRequest, obj: Service | None = None) -> Any:
        # A service's kind decides the clinical rules its bookings meet (a free assessment is
        # never held by a red flag; a treatment is): re-kinding a treatment is the owner's.
        # The desk still names, prices and orders services, and adds new ones.
        if obj is None or is_owner(request.user):
            return self.readonly_fields
        return (*self.readonly_fields, "kind")


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

    def has_add_permission(self, request: object) -> bool:
        # Bookings are made through the booking pages so capacity rules always apply.
        return False

    def has_change_permission(self, request: HttpRequest, obj: Booking | None = None) -> bool:
        # Read-only for everyone, the owner included: a status set here would skip the
        # attendance rules (attended only once the visit has started) and a patient or
        # "booked by" changed here would open a record to a practitioner (care follows visits);
        # the booking pages make each change with its checks, emails and audit.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Booking | None = None) -> bool:
        return False
