from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from portal.models import Clinic, Role, User
from portal.services import user_set_role


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin[Clinic]):
    list_display = ("name", "phone", "time_zone", "currency")
    fieldsets = (
        (None, {"fields": ("name", "slug", "address", "phone", "email")}),
        ("Time and money", {"fields": ("time_zone", "currency")}),
        ("Urgent care wording", {"fields": ("urgent_care_advice", "emergency_numbers")}),
    )
    prepopulated_fields = {"slug": ("name",)}

    # One clinic per installation (portal.models.Clinic): its details are edited, never a
    # second one added, and it is never deleted (everything in the portal belongs to it).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Clinic | None = None) -> bool:
        return False


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
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Keep admin access and the staff group in step with the role chosen here.
        user_set_role(user=obj, role=Role(obj.role), clinic=obj.clinic)
