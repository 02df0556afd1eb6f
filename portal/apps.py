from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from portal.team_security import connect_signals

        connect_signals()
