from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        # ``payments.services`` queues these tasks by name; registered here, every process
        # (the web one too) knows them, so an eager Celery runs them instead of sending by name.
        import payments.tasks  # noqa: F401
