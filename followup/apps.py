from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = "Follow-up messages"

    def ready(self) -> None:
        from booking.tasks import register_email_handler
        from booking.waitlist import register_offer_handler
        from followup.alerts import alert_raised
        from followup.services import (
            booking_email_requested,
            intake_advice_requested,
            waitlist_offer_requested,
        )
        from intake.tasks import register_alert_handler

        register_email_handler(booking_email_requested)
        register_offer_handler(waitlist_offer_requested)
        register_alert_handler(alert_raised)
        register_alert_handler(intake_advice_requested)
