"""Held-out whole patients, round 3 (patients3.yaml), through the real services
(``tests/intake/heldout/whole_patients.py``).

``PATIENTS3_REPORT=path pytest tests/intake/heldout/test_patients3.py -k report`` writes the
figures (right, under-escalated, over-escalated) to ``path``.
"""

from __future__ import annotations

from typing import Any

import pytest

from booking.models import Practitioner, Service
from tests.booking.conftest import (  # noqa: F401 - fixtures
    _fast_passwords,
    mei,
    policies,
    private,
)
from tests.intake.heldout.whole_patients import load, report_figures, stated_figures, wrong_steps

CASES = load("patients3")

# Left over-escalated on purpose (patients3.yaml's header): never under-escalated.
KNOWN_OVER = frozenset({"r04", "r05", "r09", "r11", "r17"})


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_each_patient_gets_a_safe_outcome_at_every_step(
    case: dict[str, Any],
    private: Service,  # noqa: F811 - the fixture
    mei: Practitioner,  # noqa: F811 - the fixture
) -> None:
    wrong = wrong_steps(case, private, mei, known_over=KNOWN_OVER)
    assert not wrong, case["story"] + "\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_report(
    private: Service,  # noqa: F811 - the fixture
    mei: Practitioner,  # noqa: F811 - the fixture
) -> None:
    """The figures patients3-after.txt states are what the system does now."""
    figures = report_figures("patients3", private, mei)
    assert figures and set(figures) <= set(stated_figures("patients3")), figures
