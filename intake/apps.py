from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"

    def ready(self) -> None:
        # Booking asks its registered gates before a patient books; booking never imports intake.
        from booking.gates import register_gate
        from intake.gates import intake_gate

        register_gate(intake_gate)
