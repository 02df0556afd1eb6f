"""Held-out whole patients, every round (patientsN.yaml), through the real services
(``tests/intake/heldout/whole_patients.py``).

``PATIENTS2_REPORT=path pytest tests/intake/heldout/test_whole_patients.py -k "report and
patients2"`` writes that round's figures (right, under-escalated, over-escalated) to ``path``.
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

# Each round, with the patients it left over-escalated on purpose (its YAML's header says why):
# never under-escalated.
ROUNDS: dict[str, frozenset[str]] = {
    "patients1": frozenset(),
    "patients2": frozenset({"q11", "q37", "q55"}),
    "patients3": frozenset({"r04", "r05", "r09", "r11", "r17"}),
}
CASES = [(name, case) for name in ROUNDS for case in load(name)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "case"), CASES, ids=[f"{name}-{case['id']}" for name, case in CASES]
)
def test_each_patient_gets_a_safe_outcome_at_every_step(
    name: str,
    case: dict[str, Any],
    private: Service,  # noqa: F811 - the fixture
    mei: Practitioner,  # noqa: F811 - the fixture
) -> None:
    wrong = wrong_steps(case, private, mei, known_over=ROUNDS[name])
    assert not wrong, case["story"] + "\n" + "\n".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ROUNDS)
def test_report(
    name: str,
    private: Service,  # noqa: F811 - the fixture
    mei: Practitioner,  # noqa: F811 - the fixture
) -> None:
    """The figures each round's -after.txt states are what the system does now."""
    figures = report_figures(name, private, mei)
    assert figures and set(figures) <= set(stated_figures(name)), figures
