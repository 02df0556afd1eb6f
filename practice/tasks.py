"""Celery tasks of the practice app: the monthly retention run and carrying out one approval."""

from __future__ import annotations

from celery import shared_task

from practice import retention


@shared_task
def retention_monthly() -> dict[str, int]:
    """List who has passed retention, delete never-booked inactive accounts, carry out approvals.

    Safe to run twice: cases are listed once, and a person already anonymised or deleted is
    skipped."""
    result = retention.run()
    return {"listed": result.listed, "deleted": result.deleted, "anonymised": result.anonymised}


@shared_task
def anonymise_case(case_id: int) -> bool:
    """Carry out one case the owner approved (once: a second run finds it done)."""
    return retention.anonymise_approved_case(case_id=case_id)
