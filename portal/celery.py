"""The Celery application: configured from Django settings (``CELERY_*``)."""

import os
from pathlib import Path

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_filesystem_broker_folders(sender: Celery, **kwargs: object) -> None:
    # kombu's filesystem transport (the embedded demo broker) expects its
    # folders to exist; both the web process and the worker publish to it.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


# Every periodic schedule lives here, so one place shows what runs when.
app.conf.beat_schedule = {
    # Proves beat and a worker are alive; /healthz reports how long ago it ran.
    "heartbeat": {"task": "portal.tasks.heartbeat", "schedule": 60.0},
    # Frees places held for an online payment that did not arrive in time (default 15 min
    # hold); a minute late at most, and each hold's intent is cancelled before its place goes.
    "expire-payment-holds": {"task": "payments.tasks.expire_holds", "schedule": 60.0},
    # Re-sends refunds whose own task gave up while Stripe could not be reached.
    "retry-pending-refunds": {"task": "payments.tasks.retry_pending_refunds", "schedule": 600.0},
    # Follow-up messages: plan what came due and hand due outbox rows to workers. Every minute
    # instead of far-future ETA tasks, which Redis brokers lose or duplicate.
    "followup-dispatch": {"task": "followup.tasks.dispatch_due", "schedule": 60.0},
    # Waiting list: lets lapsed holds go and offers places freed by anything that sends no
    # event (new hours or shifts, a time change); cancellations and moves also ask at once.
    "waitlist-offers": {"task": "booking.tasks.offer_waitlist_places", "schedule": 60.0},
    # "Download my data" zips are health data: wiped once their 7-day link has lapsed.
    "delete-expired-exports": {"task": "portal.tasks.delete_expired_exports", "schedule": 3600.0},
    # Retention: lists who passed the clinic's retention period for the owner to approve,
    # deletes never-booked accounts idle for two years, and carries out approved cases.
    "retention-monthly": {
        "task": "practice.tasks.retention_monthly",
        "schedule": crontab(minute=30, hour=3, day_of_month=1),
    },
}
