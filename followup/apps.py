from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = "Follow-up messages"

    def ready(self) -> None:
        from booking.tasks import register_email_handler
        from followup.services import booking_email_requested

        register_email_handler(booking_email_requested)
