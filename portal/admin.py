"""The clinic's admin: settings and people. Only the owner (a superuser) handles access.

Front-desk staff may correct a patient's name and phone here; they never see a password form,
admin access, groups or permissions, cannot change anyone's role or email, and can only look at
team members' accounts. Roles change through ``portal.roles.change_role``, which the owner
reaches from the user form after re-entering their password or a code.
"""

from __future__ import annotations

from typing import Any

from allauth.account.admin import EmailAddressAdmin as BaseEmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.admin import AuthenticatorAdmin as BaseAuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.admin.widgets import AdminTimeWidget
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy
from django.utils.text import format_lazy

from portal.access import signed_in_user
from portal.audit import AuditAction, record_action
from portal.models import AuditEvent, Clinic, Role, User
from portal.money_fields import OpenDaysField, minor_units_formfield
from portal.roles import (
    change_role,
    is_owner,
    record_owner_access_change,
    record_password_set,
    record_sign_in_email_change,
    reset_second_factor,
)
from portal.services import user_set_role
from portal.team_security import require_recent_authentication

# The clinic's security and safety settings: the owner's alone (the desk sees them
# read-only). Who is paged and how fast, what an urgent patient is told and how long a team
# session may sit unattended are clinical governance, not front-desk operations.
OWNER_ONLY_CLINIC_FIELDS = (
    "team_idle_minutes",
    "urgent_care_advice",
    "emergency_numbers",
    "duty_contact",
    "alert_ack_minutes",
    # The acknowledgement minutes count opening hours (``portal.opening_hours``): hours set to
    # one minute a week would mean an unacknowledged urgent alert is never chased.
    "opens_at",
    "closes_at",
    "open_days",
    # The clock those hours, quiet hours and every visit are read on.
    "time_zone",
    # When the check-in asks about soreness and when messages wait: the follow-up's safety net.
    "quiet_hours_start",
    "quiet_hours_end",
    "pre_visit_guidance_hours",
    "checkin_after_hours",
    "checkin_chaser_hours",
    "recheck_after_days",
    "alert_digest_time",
    # Money taken from patients, and how long their health records are kept.
    "default_payment_mode",
    "payment_hold_minutes",
    "late_cancellation_rule",
    "late_cancellation_fee_minor",
    "health_record_retention_years",
    # How patients reach the clinic: the number urgent advice, the safety net and the check-in
    # tell them to call, the address every email's replies (symptoms, often) and questions about
    # who read a record go to, and the sender every email, urgent advice too, is delivered as.
    "phone",
    "email",
    "email_from",
)


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin[Clinic]):
    list_display = ("name", "phone", "time_zone", "currency")
    fieldsets = (
        (None, {"fields": ("name", "address", "phone", "email", "email_from")}),
        ("Time and money", {"fields": ("time_zone", "currency")}),
        ("Urgent care wording", {"fields": ("urgent_care_advice", "emergency_numbers")}),
        (
            "Alerts that cannot wait",
            {"fields": ("duty_contact", "alert_ack_minutes", "opens_at", "closes_at", "open_days")},
        ),
        (
            "Booking rules",
            {
                "fields": (
                    "min_notice_minutes",
                    "booking_horizon_days",
                    "cancellation_cutoff_hours",
                    "new_patient_booking_limit",
                    "online_booking_limit",
                )
            },
        ),
        (
            "Payments",
            {
                "fields": (
                    "default_payment_mode",
                    "payment_hold_minutes",
                    "late_cancellation_rule",
                    "late_cancellation_fee_minor",
                )
            },
        ),
        (
            "Messages around a visit",
            {
                "fields": (
                    ("quiet_hours_start", "quiet_hours_end"),
                    "pre_visit_guidance_hours",
                    "checkin_after_hours",
                    "checkin_chaser_hours",
                    "recheck_after_days",
                    "alert_digest_time",
                )
            },
        ),
        ("Team sign-in", {"fields": ("team_idle_minutes",)}),
        ("Waiting list", {"fields": ("waitlist_hold_minutes", "waitlist_offers_per_place")}),
        ("Records", {"fields": ("health_record_retention_years",)}),
    )

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # In the owner's words: the fee in pounds (it was pence: 10 meant 10p), a box per open
        # day (it was a string of digits), times without seconds, and no "add a user" beside
        # the duty contact (people are added on their own page).
        if db_field.name == "late_cancellation_fee_minor":
            return minor_units_formfield(db_field, Clinic.objects.current().currency)
        if db_field.name == "open_days":
            return OpenDaysField(
                label="Open days",
                help_text=db_field.help_text,
                error_messages={"required": "Tick at least one day the clinic is open."},
            )
        if isinstance(db_field, models.TimeField):
            kwargs["widget"] = AdminTimeWidget(format="%H:%M")
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "duty_contact" and field is not None:
            for option in ("can_add_related", "can_change_related", "can_delete_related"):
                setattr(field.widget, option, False)
            field.widget.can_view_related = False
        return field

    def get_readonly_fields(self, request: HttpRequest, obj: Clinic | None = None) -> Any:
        # The front desk sees these, only the owner changes them (a read-only field is left
        # out of the form, so a posted value is never read).
        if is_owner(request.user):
            return self.readonly_fields
        return (*self.readonly_fields, *OWNER_ONLY_CLINIC_FIELDS)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # The duty contact is someone on the team, never a patient.
        if db_field.name == "duty_contact":
            kwargs["queryset"] = User.objects.filter(
                role__in=(Role.PRACTITIONER, Role.STAFF), is_active=True
            ).order_by("first_name", "last_name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # One clinic per installation (portal.models.Clinic): its details are edited, never a
    # second one added, and it is never deleted (everything in the portal belongs to it).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Clinic | None = None) -> bool:
        return False


# What a non-superuser may edit on a patient's account; everything else is shown read-only.
DESK_EDITABLE_USER_FIELDS = ("first_name", "last_name", "phone")


def _audit_deleted(request: HttpRequest, account_id: int) -> None:
    # Like practice.retention.delete_account's row: the account's number, never its name or
    # email (the trail outlives the person).
    record_action(
        action=AuditAction.ACCOUNT_DELETED,
        actor=signed_in_user(request),
        detail={"account": str(account_id), "why": "deleted in the admin"},
    )


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "role", "clinic", "is_active")
    list_filter = ("role", "clinic", "is_active", "is_staff")
    search_fields = ("email", "first_name", "last_name", "phone")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "phone")}),
        ("Role", {"fields": ("role", "clinic", "is_active")}),
        (
            "Admin access",
            {"fields": ("is_staff", "is_superuser", "groups"), "classes": ["collapse"]},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    desk_fieldsets = (
        (None, {"fields": ("email",)}),
        ("Person", {"fields": DESK_EDITABLE_USER_FIELDS}),
        ("Role", {"fields": ("role", "clinic", "is_active")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "role", "password1", "password2"),
                # The admin's own form makes the owner choose (and pass on) someone's password.
                "description": format_lazy(
                    "To add a practitioner or someone for the front desk, invite them from "
                    '<a href="{}">Your team</a> instead: they are emailed a link to choose '
                    "their own password, and a practitioner gets a booking profile.",
                    reverse_lazy("practice:team"),
                ),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    actions = ("reset_second_factors",)

    def has_owner_permission(self, request: HttpRequest) -> bool:
        return is_owner(request.user)

    @admin.action(permissions=["owner"], description="Reset second factor (they set up a new one)")
    def reset_second_factors(self, request: HttpRequest, queryset: Any) -> None:
        # Someone who lost their phone: the owner, having re-entered their password or a code,
        # removes the old authenticator; each reset goes in the audit trail.
        require_recent_authentication(request)
        owner = signed_in_user(request)
        reset = [u for u in queryset if reset_second_factor(actor=owner, user=u)]
        self.message_user(
            request,
            f"Second factor reset for {len(reset)} account(s): they set up a new authenticator "
            "at their next sign-in.",
        )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self.desk_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return self.readonly_fields
        # Leaving fields out of the form is what protects them: a POSTed is_superuser, role
        # or password is simply not read.
        editable = set(DESK_EDITABLE_USER_FIELDS)
        return [
            name
            for _title, options in self.desk_fieldsets
            for name in options["fields"]
            if name not in editable
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # The add form sets a password and a role: the owner's job.
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        with transaction.atomic():
            pk = obj.pk
            super().delete_model(request, obj)
            _audit_deleted(request, pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        with transaction.atomic():
            ids = list(queryset.values_list("pk", flat=True))
            super().delete_queryset(request, queryset)
            for pk in ids:
                _audit_deleted(request, pk)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser:
            return True
        # Staff may correct a patient's details; team and admin accounts are the owner's.
        return bool(obj.role == Role.PATIENT and not obj.is_staff and not obj.is_superuser)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # Setting someone's password lets you sign in as them: superusers only (everyone
        # changes their own through the account pages).
        if not request.user.is_superuser:
            raise PermissionDenied("Only the clinic owner can set another person's password.")
        if request.method != "POST":
            return super().user_change_password(request, id, form_url)
        # Whoever sets it can sign in as them: the owner re-enters their password or a code
        # first, and the change is in the audit trail (same transaction).
        require_recent_authentication(request)
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            person = User.objects.filter(pk=id).first() if response.status_code == 302 else None
            if person is not None:
                record_password_set(actor=signed_in_user(request), user=person)
        return response

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        new_role = Role(obj.role)
        old_role = Role(form.initial.get("role") or Role.PATIENT) if change else Role.PATIENT
        # Making someone an owner (or no longer one) is more than a role: asked and recorded
        # the same way (only the owner's form has the field).
        owner_access = change and "is_superuser" in form.changed_data
        # So is moving someone's sign-in to another address: its holder can reset the password.
        email_moved = change and "email" in form.changed_data
        if new_role != old_role or owner_access or email_moved:
            # A role change is sensitive: the owner re-enters their password or a code, then
            # the change goes through the role service, which checks and records it.
            require_recent_authentication(request)
        if new_role != old_role:
            obj.role = old_role
        super().save_model(request, obj, form, change)
        if owner_access:
            record_owner_access_change(actor=signed_in_user(request), user=obj)
        if email_moved:
            record_sign_in_email_change(actor=signed_in_user(request), user=obj)
        if new_role != old_role:
            change_role(actor=signed_in_user(request), user=obj, role=new_role, clinic=obj.clinic)
        else:
            # Keep admin access and the staff group in step with the role.
            user_set_role(user=obj, role=new_role, clinic=obj.clinic)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """The audit trail, read-only and for the owner (who also has /practice/audit/ to filter
    and export it); nobody adds, changes or deletes a row here."""

    list_display = ("at", "action", "actor_email", "subject")
    list_filter = ("action",)
    search_fields = ("actor_email", "subject__email")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_owner(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_owner(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Groups and their permissions decide what everyone else may do: superusers only, whatever
# permissions a group might hold.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


# allauth's email addresses: the desk's group may look (``STAFF_PERMISSIONS``: view only), but
# allauth's "mark verified" action carries no permission, so the admin offered it to anyone
# who may open the list. Verifying an address vouches that its holder owns it (mandatory
# verification is what keeps an account from signing in with someone else's address): a
# change, so the owner's.
admin.site.unregister(EmailAddress)


@admin.register(EmailAddress)
class EmailAddressAdmin(BaseEmailAddressAdmin):
    @admin.action(permissions=["change"], description="Mark selected email addresses as verified")
    def make_verified(self, request: HttpRequest, queryset: QuerySet[EmailAddress]) -> None:
        super().make_verified(request, queryset)


# allauth's authenticators: the owner (a superuser) could delete a team member's app or change
# its secret here, with no re-entered password and no audit row. The owner's way is "Reset
# second factor" on People (``reset_second_factor``: re-authentication, audit trail); here
# they only see who has set one up, never the secret (even encrypted).
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(BaseAuthenticatorAdmin):
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
