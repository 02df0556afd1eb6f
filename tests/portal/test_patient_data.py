"""The registry of patient-data kinds (``portal.patient_data``) stays complete: a new model
linked to a patient must say whether it is exported and what anonymising does to it."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.conf import settings

from portal import export
from portal.models import User
from portal.patient_data import KINDS, OTHER_LINKS

User_ = apps.get_model(settings.AUTH_USER_MODEL)


def links_to_people() -> set[str]:
    return {
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is User_
    }


def test_every_link_to_a_person_is_placed() -> None:
    placed = {f"{k.model}.{k.patient_field}" for k in KINDS} | OTHER_LINKS
    missing = links_to_people() - placed
    assert missing == set(), (
        "Say in portal/patient_data.py what these are: a kind of patient record (exported? "
        f"what does anonymising do?) or a link to the team: {sorted(missing)}"
    )
    assert placed - links_to_people() == set(), "these no longer exist"


def test_a_kind_not_exported_says_why() -> None:
    for kind in KINDS:
        assert (kind.export_key is None) == bool(kind.not_exported), kind.model


@pytest.mark.django_db
def test_every_exported_kind_is_in_the_export(patient: User) -> None:
    data = export.collect(patient)
    lists = {key for key, value in data.items() if isinstance(value, list)}
    exported = {k.export_key for k in KINDS if k.export_key}
    assert exported == lists
