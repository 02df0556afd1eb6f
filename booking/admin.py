from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest

from booking.models import (
    Booking,
    DateException,
    MultibedShift,
    Practitioner,
    PriceRule,
    Room,
    Service,
    TimeOff,
    WeeklyHours,
)
from portal.forms import DATE_INPUT, TIME_INPUT, FriendlyErrors
from portal.models import Clinic
from portal.money_fields import minor_units_formfield
from portal.policy import is_owner
from portal.templatetags.money import money

# Which account signs in as the practitioner, and their clinic: the owner's alone.
OWNER_ONLY_PRACTITIONER_FIELDS = ("user", "clinic")


class ScheduleInline(admin.TabularInline[Any, Practitioner]):
    """A practitioner's hours, dated changes and time off, shown but not changed here: the
    workspace's "Hours & time off" page changes them, which takes the booking locks and shows
    the visits already booked in time being closed (to cancel or keep); the admin did
    neither."""

    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class WeeklyHoursInline(ScheduleInline):
    model = WeeklyHours
    verbose_name_plural = "Weekly hours (changed on the workspace's Hours & time off page)"


class DateExceptionInline(ScheduleInline):
    model = DateException
    verbose_name_plural = "Dated changes (changed on the workspace's Hours & time off page)"


class TimeOffInline(ScheduleInline):
    model = TimeOff
    verbose_name_plural = "Time off (changed on the workspace's Hours & time off page)"


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


class ServiceAdminForm(FriendlyErrors, forms.ModelForm[Service]):
    def clean_slug(self) -> str:
        # The clinic is not on the form, so the model's (clinic, slug) constraint is not
        # checked for it: a repeated slug would fail at the database instead of here.
        slug = self.cleaned_data["slug"]
        taken = Service.objects.filter(clinic=Clinic.objects.current(), slug=slug)
        if taken.exclude(pk=self.instance.pk).exists():
            raise ValidationError("Another service already uses this in its booking address.")
        return str(slug)


# Stored in pence, typed and shown in pounds (``MinorUnitsField``).
SERVICE_MONEY_FIELDS = ("price_minor", "price_min_minor", "price_max_minor", "price_step_minor")


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin[Service]):
    form = ServiceAdminForm
    list_display = ("name", "kind", "duration_minutes", "price", "is_active", "position")
    list_filter = ("kind", "is_active")
    # One clinic per installation: its services are its own, never chosen from a list of one.
    exclude = ("clinic",)
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("practitioners",)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Prices were whole pence: an owner typing 65 for a £65 treatment priced it at 65p.
        if db_field.name in SERVICE_MONEY_FIELDS:
            return minor_units_formfield(db_field, Clinic.objects.current().currency)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="Price")
    def price(self, service: Service) -> str:
        """The price as patients read it: "£65", "Free", or "£15 to £35, suggested £25"."""
        currency = service.clinic.currency
        if service.price_rule == PriceRule.SLIDING:
            low, high = (
                money(service.price_min_minor, currency),
                money(service.price_max_minor, currency),
            )
            return f"{low} to {high}, suggested {money(service.price_minor, currency)}"
        if service.price_rule == PriceRule.FREE or not service.price_minor:
            return "Free"
        return money(service.price_minor, currency)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("clinic")

    def save_model(self, request: HttpRequest, obj: Service, form: Any, change: bool) -> None:
        if not change:
            obj.clinic = Clinic.objects.current()
        super().save_model(request, obj, form, change)

    def get_readonly_fields(self, request: HttpRequest, obj: Service | None = None) -> Any:
        # A service's kind decides the clinical rules its bookings meet (a free assessment is
        # never held by a red flag; a treatment is): re-kinding a treatment is the owner's.
        # The desk still names, prices and orders services, and adds new ones.
        if obj is None or is_owner(request.user):
            return self.readonly_fields
        return (*self.readonly_fields, "kind")


class ShiftInline(admin.StackedInline[MultibedShift, Room]):
    model = MultibedShift
    extra = 0

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # A shift's table row was 1,450 px wide at a 1,280 px window: each choice carried edit,
        # add and view icons, each time "Now" and a clock, with seconds. Stacked, in plain
        # inputs, it fits; practitioners and services are edited on their own pages.
        if isinstance(db_field, models.TimeField):
            kwargs["widget"] = TIME_INPUT
        if isinstance(db_field, models.DateField):
            kwargs["widget"] = DATE_INPUT
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(field, forms.ModelChoiceField):
            for option in ("can_add_related", "can_change_related", "can_view_related"):
                setattr(field.widget, option, False)
        return field


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin[Room]):
    list_display = ("name", "recliners")
    # One clinic per installation: a list of one is no choice.
    exclude = ("clinic",)
    inlines = (ShiftInline,)

    def save_model(self, request: HttpRequest, obj: Room, form: Any, change: bool) -> None:
        if not change:
            obj.clinic = Clinic.objects.current()
        super().save_model(request, obj, form, change)


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
