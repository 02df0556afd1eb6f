"""Clinic-wide Celery tasks."""

from celery import shared_task

from portal.health import record_heartbeat


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Note that beat and a worker are alive (shown on /healthz)."""
    record_heartbeat()


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def build_data_export(export_id: int) -> str:
    """Build one "download my data" zip and email its link (idempotent: see export.build)."""
    from portal import export

    return export.build(export_id)


@shared_task(ignore_result=True)
def delete_expired_exports() -> int:
    """Every hour (beat): wipe export archives whose link has lapsed."""
    from portal import export

    return export.delete_expired()
