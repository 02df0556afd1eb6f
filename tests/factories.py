"""factory_boy factories for the fixed cast of users every test can name."""

from __future__ import annotations

from typing import Any

import factory
from allauth.account.models import EmailAddress

from portal.models import Clinic, Role, User
from portal.services import user_set_role

TEST_PASSWORD = "correct-horse-battery-staple"


FIRST_NAMES = [
    "Ottoline",
    "Peregrine",
    "Wilhelmina",
    "Thaddeus",
    "Ignatius",
    "Clementine",
    "Lysander",
    "Perpetua",
    "Evander",
    "Zenobia",
    "Cosimo",
    "Ptolemy",
    "Berenice",
]
LAST_NAMES = [
    "Fairweather",
    "Thistlewood",
    "Blackthorne",
    "Pennyfeather",
    "Ashdown",
    "Merriweather",
    "Underhill",
    "Foxwell",
    "Hartigan",
    "Winterbourne",
    "Oakenshaw",
]


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A verified user of the portal's own clinic; pass ``role`` for team members."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    # Names from short lists, not Faker: tests assert one person's name is absent from a page
    # another sees, and a random name ("Alexandria", "Cheney") could contain a fixed one.
    # None of these contains, or is contained in, a name or month the tests use; the lists'
    # prime lengths keep full names distinct for the first 143 users.
    first_name = factory.Iterator(FIRST_NAMES)
    last_name = factory.Iterator(LAST_NAMES)
    role = Role.PATIENT
    clinic = factory.LazyFunction(Clinic.objects.current)

    @factory.post_generation
    def password(obj: User, create: bool, extracted: str | None, **kwargs: Any) -> None:
        obj.set_password(extracted or TEST_PASSWORD)
        if create:
            obj.save()

    @factory.post_generation
    def verified(obj: User, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        if create:
            EmailAddress.objects.create(
                user=obj, email=obj.email, primary=True, verified=extracted is not False
            )
            user_set_role(user=obj, role=Role(obj.role), clinic=obj.clinic)

    @factory.post_generation
    def totp(obj: User, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        # Team members have an authenticator app (the portal requires one) unless a test asks
        # for a password-only account with ``totp=False``.
        if create and extracted is not False and (extracted or obj.role != Role.PATIENT):
            from tests.second_factor import give_authenticator

            give_authenticator(obj)


class PatientFactory(UserFactory):
    """A patient who has sent the full health questionnaire, so intake's gate
    (``booking.gates``) lets them book; ``UserFactory`` makes one who has not."""

    questionnaire = factory.RelatedFactory(
        "tests.intake.factories.IntakeResponseFactory", factory_related_name="patient"
    )
