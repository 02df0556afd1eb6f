from typing import Any

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


def _sync_staff_group(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # After every app's migrate step (permissions are created app by app), so the staff group
    # ends up holding exactly the permissions listed in portal.services.STAFF_PERMISSIONS.
    from portal.services import ensure_staff_group

    if using == "default":
        ensure_staff_group()


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from portal import audit, team_security

        team_security.connect_signals()
        audit.connect_signals()
        post_migrate.connect(_sync_staff_group, dispatch_uid="portal.sync_staff_group")


class ClinicAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the clinic's own site (INSTALLED_APPS names it)."""

    default = False  # the "portal" app itself is PortalConfig
    default_site = "portal.admin_site.ClinicAdminSite"
