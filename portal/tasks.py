"""Clinic-wide Celery tasks."""

from celery import shared_task

from portal.health import record_heartbeat


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Note that beat and a worker are alive (shown on /healthz)."""
    record_heartbeat()
