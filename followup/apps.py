from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = "Follow-up messages"

    def ready(self) -> None:
        # Registered with Celery here so ``portal.messaging.hand_to_worker`` finds the send task
        # by name in the web process too (the task, not the broker, would otherwise be missing).
        import followup.tasks  # noqa: F401
        from followup.alerts import alert_raised
        from followup.services import intake_advice_requested
        from intake.tasks import register_alert_handler

        register_alert_handler(alert_raised)
        register_alert_handler(intake_advice_requested)
