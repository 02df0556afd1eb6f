from __future__ import annotations

from typing import Any

import pytest

from booking.models import Booking, Practitioner
from portal.models import User
from tests.booking.conftest import _fast_passwords, eager_celery  # noqa: F401 - fixtures
from tests.booking.factories import PractitionerFactory, ServiceFactory, visit_at
from tests.intake.factories import full_answers


@pytest.fixture
def mei(practitioner: User) -> Practitioner:
    return PractitionerFactory.create(user=practitioner, display_name="Mei Chen")


def past_visit(patient: User, practitioner: Practitioner, **extra: Any) -> Booking:
    """A visit that already happened (history rows are written directly, as the demo does)."""
    from datetime import timedelta

    from django.utils import timezone

    return visit_at(
        patient=patient,
        service=ServiceFactory.create(practitioners=[practitioner]),
        practitioner=practitioner,
        starts_at=extra.pop("starts_at", timezone.now() - timedelta(days=7)),
        status=extra.pop("status", "attended"),
        **extra,
    )


@pytest.fixture
def answers() -> dict[str, object]:
    return full_answers()
