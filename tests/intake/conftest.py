from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from booking.models import Booking, Practitioner
from portal.celery import app as celery_app
from portal.models import User
from tests.booking.factories import PractitionerFactory, ServiceFactory
from tests.intake.factories import full_answers


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run tasks in-process (Celery read its config at start-up, so set it on the app)."""
    conf = celery_app.conf
    before = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager, conf.task_eager_propagates = True, True
    yield
    conf.task_always_eager, conf.task_eager_propagates = before


@pytest.fixture
def mei(practitioner: User) -> Practitioner:
    return PractitionerFactory.create(user=practitioner, display_name="Mei Chen")


def past_visit(patient: User, practitioner: Practitioner, **extra: Any) -> Booking:
    """A visit that already happened (history rows are written directly, as the demo does)."""
    from datetime import timedelta

    from django.utils import timezone

    service = ServiceFactory.create(practitioners=[practitioner])
    starts = extra.pop("starts_at", timezone.now() - timedelta(days=7))
    return Booking.objects.create(
        clinic=service.clinic,
        patient=patient,
        service=service,
        kind=service.kind,
        practitioner=practitioner,
        starts_at=starts,
        ends_at=starts + service.duration,
        blocked_from=starts,
        blocked_until=starts + service.duration,
        status=extra.pop("status", "attended"),
        **extra,
    )


@pytest.fixture
def answers() -> dict[str, object]:
    return full_answers()
