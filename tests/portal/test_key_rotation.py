"""Rotating the field-encryption key: old tokens are found, rewritten with the newest key
without touching anything else, and the old key can then be dropped."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from intake.diary_entries import diary_add
from intake.models import DiaryEntry, FlagKind, IntakeResponse, PatientFlag
from intake.services import flag_raise
from payments.fee_reductions import fee_reduction_request
from payments.models import FeeReduction
from portal import key_rotation
from portal.models import Clinic, User

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _seed(
    clinic: Clinic, patient: User
) -> tuple[DiaryEntry, PatientFlag, FeeReduction, IntakeResponse]:
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD]):
        entry = diary_add(
            patient=patient, pain=5, note="worse after gardening", tags=["medication"]
        )
        flag, _ = flag_raise(patient=patient, kind=FlagKind.TREAT_GENTLY, reason="sore for days")
        reduction = fee_reduction_request(patient=patient, clinic=clinic, reason="a student")
        response = IntakeResponse.objects.create(
            clinic=clinic, patient=patient, kind="full", version=1, answers={"pain_now": 6}
        )
    return entry, flag, reduction, response


def test_rotation_rewrites_old_tokens_so_the_old_key_can_go(clinic: Clinic, patient: User) -> None:
    entry, flag, reduction, response = _seed(clinic, patient)
    stamped = response.updated_at

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW, OLD]):
        stale = key_rotation.stale_counts()
        assert stale["intake.DiaryEntry.note"] == 1
        assert stale["intake.DiaryEntry.tags"] == 1
        assert stale["intake.PatientFlag.reason"] == 1
        assert stale["payments.FeeReduction.reason"] == 1
        with pytest.raises(CommandError, match="still need the newest key"):
            call_command("rotate_encryption_key", "--check")

        call_command("rotate_encryption_key")

        assert key_rotation.stale_counts() == {}
        call_command("rotate_encryption_key", "--check")  # exits cleanly now
        assert key_rotation.rotate() == {}  # a rerun finds nothing to do

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW]):
        entry.refresh_from_db()
        flag.refresh_from_db()
        reduction.refresh_from_db()
        assert entry.note == "worse after gardening"
        assert entry.tags == ["medication"]
        assert flag.reason == "sore for days"
        assert reduction.reason == "a student"
        response.refresh_from_db()
        assert response.answers == {"pain_now": 6}
    # update() moved no auto_now stamp: rotation is not an edit.
    assert response.updated_at == stamped


def test_every_encrypted_column_is_covered(clinic: Clinic) -> None:
    labels = {column.label for column in key_rotation.token_columns()}
    # History tables carry the record's encrypted fields too, and must rotate with them.
    assert "practice.HistoricalTreatmentRecord.areas_and_points" in labels
    assert "practice.TreatmentRecord.areas_and_points" in labels
    assert "intake.IntakeResponse.answers" in labels
    assert "portal.DataExport.archive" in labels
