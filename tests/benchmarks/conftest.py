"""Benchmarks under the production profile (``make bench``) against a seeded, busy clinic.

The clinic is seeded once per session and committed (``django_db_setup`` +
``django_db_blocker``). The timing tests run with the database unblocked and in
autocommit, as the portal runs in production (no test transaction around the
requests, real COMMITs for bookings); the booking benchmark deletes what it
made. The race test is ``django_db(transaction=True)``: its teardown empties
every table, so it is ordered last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from booking.models import Booking
from tests.benchmarks import report
from tests.benchmarks.browser import Browser, Page
from tests.benchmarks.seed import World, count_overbookings, seed_world

BENCH_DIR = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Own test database (test_<name>_bench), so a `make test` running alongside is untouched."""
    for db in settings.DATABASES.values():
        if db["ENGINE"] == "django.db.backends.sqlite3":
            continue
        test = db.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + db['NAME']}_bench"


@pytest.fixture(scope="session")
def django_db_setup(
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_keepdb: bool,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """The test database, always: pytest-django would create it only for marked tests."""
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=0,
            interactive=False,
            keepdb=django_db_keepdb,
            aliases=dict.fromkeys(["default"]),  # only "in" and iteration are used
            serialized_aliases=set(),
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def production_profile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Refuse to measure the demo profile; collect static files for the manifest storage."""
    db = settings.DATABASES["default"]
    problems = []
    if not getattr(settings, "PRODUCTION", False):
        problems.append("DEBUG is not false")
    if not db.get("CONN_MAX_AGE"):
        problems.append("CONN_MAX_AGE is 0")
    if db["ENGINE"] != "django.db.backends.postgresql":
        problems.append(f"the database is {db['ENGINE']}, not PostgreSQL")
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        problems.append("the cache is not Redis")
    if problems:
        pytest.exit(
            "benchmarks need the production profile (run `make bench`): " + "; ".join(problems),
            returncode=2,
        )
    # Production serves {% static %} from the hashed manifest: build one in a temp dir.
    static_root = tmp_path_factory.mktemp("staticfiles")
    overrides = override_settings(
        STATIC_ROOT=str(static_root), ROOT_URLCONF="tests.benchmarks.urls"
    )
    overrides.enable()
    try:
        call_command("collectstatic", interactive=False, verbosity=0)
        yield
    finally:
        overrides.disable()


@pytest.fixture(scope="session")
def world(django_db_setup: None, django_db_blocker: Any) -> World:
    with django_db_blocker.unblock():
        seeded = seed_world(timezone.now())
        assert count_overbookings() == 0, "the seed broke its own rules"
    return seeded


@pytest.fixture
def live_db(world: World, django_db_blocker: Any) -> Iterator[None]:
    """Database access in autocommit, on the committed seed (no test transaction)."""
    with django_db_blocker.unblock():
        assert Booking.objects.filter(clinic=world.clinic).exists(), (
            "the seed is gone: a transactional test ran first"
        )
        yield


@pytest.fixture(scope="session")
def patient_client(world: World, django_db_blocker: Any) -> Client:
    """A signed-in patient's browser, kept for the session like a real one."""
    client = Client()
    with django_db_blocker.unblock():
        client.force_login(world.patient)
    return client


@pytest.fixture(scope="session")
def patient_browser(patient_client: Client) -> Browser:
    """The same patient, requesting pages through the production WSGI handler."""
    return Browser(patient_client)


@pytest.fixture(scope="session")
def baseline_request(world: World, patient_browser: Browser) -> Callable[[], Page]:
    """The trivial signed-in view every ratio is measured against, as one call."""
    url = f"/bench/baseline/{world.private.pk}/"
    return lambda: patient_browser.get(url)


@pytest.fixture(scope="session")
def baseline_ms(world: World, baseline_request: Callable[[], Any], django_db_blocker: Any) -> float:
    """Median time of the trivial signed-in view, measured once at the start."""
    with django_db_blocker.unblock():
        assert baseline_request().status_code == 200
        median, _ = report.median_ms(lambda _: baseline_request(), repeat=30)
    return median


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Transactional benchmarks last: their teardown flush would wipe the shared seed. Before
    them, the outbox's: they write and delete tens of thousands of rows with real workers, and
    PostgreSQL's autovacuum is still busy with those for a while, slowing what is timed next."""

    def order(item: pytest.Item) -> tuple[bool, bool]:
        if BENCH_DIR not in Path(str(item.path)).parents:
            return (False, False)
        marker = item.get_closest_marker("django_db")
        transactional = bool(marker and marker.kwargs.get("transaction"))
        return (transactional, Path(str(item.path)).name == "test_followup_bench.py")

    items.sort(key=order)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not report.RESULTS:
        return
    terminalreporter.section("benchmarks (medians, production profile)")
    for line in report.table():
        terminalreporter.write_line(line)
    for text in report.PROFILES:
        terminalreporter.write_line(text)
    path = report.write_json()
    terminalreporter.write_line(f"results written to {path}")
