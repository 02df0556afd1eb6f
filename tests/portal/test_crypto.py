import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from portal.crypto import EncryptedJSONField, EncryptedTextField, decrypt_text, encrypt_text


def test_text_round_trips_and_the_token_hides_it() -> None:
    token = encrypt_text("on warfarin since 2019")
    assert "warfarin" not in token
    assert decrypt_text(token) == "on warfarin since 2019"


def test_a_rotated_key_still_reads_old_data_and_new_writes_use_the_new_key() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        token = encrypt_text("pregnant, 12 weeks")
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        assert decrypt_text(token) == "pregnant, 12 weeks"
        rewritten = encrypt_text("pregnant, 12 weeks")
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        assert decrypt_text(rewritten) == "pregnant, 12 weeks"
        with pytest.raises(ImproperlyConfigured, match="cannot be decrypted"):
            decrypt_text(token)


def test_fields_encrypt_on_the_way_in_and_decrypt_on_the_way_out() -> None:
    text, document = EncryptedTextField(), EncryptedJSONField()
    stored = text.get_prep_value("needle phobia")
    assert stored is not None and "needle" not in stored
    assert text.from_db_value(stored, None, None) == "needle phobia"
    answers = {"pain_now": 7, "areas": ["lower back", "left leg"]}
    stored_json = document.get_prep_value(answers)
    assert stored_json is not None and "lower back" not in stored_json
    assert document.from_db_value(stored_json, None, None) == answers
    assert text.get_prep_value(None) is None
