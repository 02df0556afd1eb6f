"""Settings fail loudly: real start-ups in subprocesses, and the readers in portal.config.

The subprocesses get a clean environment (no DATABASE_URL, REDIS_URL or any
other setting inherited from the test run) plus exactly the variables a test
names, so each test shows what that configuration alone does.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from portal.config import Environment

ROOT = Path(__file__).resolve().parents[2]

# Only what a process needs to run; settings variables never leak in.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


def clean_env(**overrides: str | None) -> dict[str, str]:
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def production(**overrides: str | None) -> dict[str, str]:
    """A complete production environment, with some variables changed or removed (None)."""
    values: dict[str, str | None] = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portal.clinic.example",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SITE_URL": "https://portal.clinic.example",
    }
    values.update(overrides)
    return clean_env(**values)


SHOW_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.DEBUG, s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
    "s.CELERY_BROKER_URL, s.ALLOWED_HOSTS, s.STORAGES['staticfiles']['BACKEND']]))"
)


def start(
    env: dict[str, str], code: str = "import django; django.setup()"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], variable: str) -> None:
    assert result.returncode != 0, f"start-up should have failed:\n{result.stdout}"
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured:"), result.stderr
    assert variable in last_line, f"the error should name {variable}: {last_line}"


# --- Real start-ups -------------------------------------------------------


def test_the_demo_starts_with_nothing_set() -> None:
    result = start(clean_env(), SHOW_SETTINGS)

    assert result.returncode == 0, result.stderr
    debug, engine, cache, broker, hosts, storage = json.loads(result.stdout)
    assert debug is True
    assert engine == "django.db.backends.sqlite3"
    assert cache.endswith("FileBasedCache")
    assert broker == "filesystem://"
    assert "localhost" in hosts
    assert storage == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_production_starts_with_its_secrets() -> None:
    env = production(REDIS_URL="redis://redis:6379/0")
    result = start(env, SHOW_SETTINGS)

    assert result.returncode == 0, result.stderr
    debug, _engine, cache, broker, hosts, storage = json.loads(result.stdout)
    assert debug is False
    assert cache.endswith("RedisCache")
    assert broker == "redis://redis:6379/0"
    assert hosts == ["portal.clinic.example"]
    assert storage == "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        pytest.param({"SECRET_KEY": None}, "SECRET_KEY", id="no-secret-key"),
        pytest.param({"SITE_URL": None}, "SITE_URL", id="no-site-url"),
        pytest.param({"SITE_URL": "portal.clinic.example"}, "SITE_URL", id="site-url-no-scheme"),
        pytest.param({"SECRET_KEY": "   "}, "SECRET_KEY", id="blank-secret-key"),
        pytest.param({"SECRET_KEY": "x" * 49}, "SECRET_KEY", id="short-secret-key"),
        pytest.param(
            {"SECRET_KEY": "demo-only-insecure-secret-key-do-not-use-in-production"},
            "SECRET_KEY",
            id="demo-secret-key",
        ),
        pytest.param({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS", id="no-allowed-hosts"),
        pytest.param({"ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS", id="empty-allowed-hosts"),
        pytest.param({"FIELD_ENCRYPTION_KEYS": None}, "FIELD_ENCRYPTION_KEYS", id="no-keys"),
        pytest.param({"FIELD_ENCRYPTION_KEYS": ","}, "FIELD_ENCRYPTION_KEYS", id="empty-keys"),
        pytest.param(
            {"FIELD_ENCRYPTION_KEYS": "not-a-fernet-key"},
            "FIELD_ENCRYPTION_KEYS",
            id="non-fernet-key",
        ),
        pytest.param(
            {"FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode() + ",c2hvcnQ="},
            "FIELD_ENCRYPTION_KEYS",
            id="second-key-too-short",
        ),
        pytest.param({"CONN_MAX_AGE": "sixty"}, "CONN_MAX_AGE", id="conn-max-age-word"),
        pytest.param({"CONN_MAX_AGE": "-1"}, "CONN_MAX_AGE", id="conn-max-age-negative"),
        pytest.param({"DATABASE_URL": "nonsense"}, "DATABASE_URL", id="database-url"),
        pytest.param(
            {"DATABASE_URL": "postgres://portal:pw@db:port/portal"},
            "DATABASE_URL",
            id="database-url-port",
        ),
        pytest.param({"REDIS_URL": "http://redis:6379"}, "REDIS_URL", id="redis-url"),
        pytest.param(
            {"CELERY_BROKER_URL": "http://broker:5672//"},
            "CELERY_BROKER_URL",
            id="broker-scheme",
        ),
        pytest.param({"CLINIC_TIME_ZONE": "Mars/Olympus"}, "CLINIC_TIME_ZONE", id="time-zone"),
        pytest.param({"SECURE_SSL_REDIRECT": "maybe"}, "SECURE_SSL_REDIRECT", id="ssl-redirect"),
        pytest.param({"SECURE_HSTS_SECONDS": "1y"}, "SECURE_HSTS_SECONDS", id="hsts-seconds"),
        pytest.param({"EMAIL_PORT": "0"}, "EMAIL_PORT", id="email-port"),
        pytest.param({"EMAIL_USE_TLS": "tls"}, "EMAIL_USE_TLS", id="email-tls"),
        pytest.param({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL", id="log-level"),
    ],
)
def test_production_refuses_to_start_naming_the_variable(
    overrides: dict[str, str | None], variable: str
) -> None:
    assert_refused(start(production(**overrides)), variable)


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        pytest.param({"DEBUG": "yes please"}, "DEBUG", id="debug"),
        pytest.param({"CONN_MAX_AGE": "sixty"}, "CONN_MAX_AGE", id="conn-max-age"),
        pytest.param({"DATABASE_URL": "nonsense"}, "DATABASE_URL", id="database-url"),
        pytest.param({"CLINIC_TIME_ZONE": "Mars/Olympus"}, "CLINIC_TIME_ZONE", id="time-zone"),
        pytest.param(
            {"FIELD_ENCRYPTION_KEYS": "bm90IGEga2V5"}, "FIELD_ENCRYPTION_KEYS", id="non-fernet"
        ),
        pytest.param(
            {"CELERY_BROKER_URL": "ftp://broker"}, "CELERY_BROKER_URL", id="broker-scheme"
        ),
        pytest.param(
            {"CELERY_TASK_ALWAYS_EAGER": "sometimes"}, "CELERY_TASK_ALWAYS_EAGER", id="eager"
        ),
    ],
)
def test_the_demo_refuses_malformed_values_too(
    overrides: dict[str, str | None], variable: str
) -> None:
    assert_refused(start(clean_env(**overrides)), variable)


def test_a_complete_production_environment_passes_check_deploy() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=production(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_when_production_is_weakened() -> None:
    # The companion of the test above: the command does fail on a real warning.
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=production(SECURE_SSL_REDIRECT="false"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "security.W008" in result.stderr


# --- portal.config.Environment --------------------------------------------

names = st.from_regex(r"[A-Z][A-Z0-9_]{0,30}", fullmatch=True)
blanks = st.text(alphabet=" \t\n", max_size=3)
_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True}
_BOOLEANS |= {"0": False, "false": False, "no": False, "off": False}


@st.composite
def any_case(draw: st.DrawFn, word: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.upper() if flip else c for c, flip in zip(word, flips, strict=True))


def test_environment_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_TEST_VARIABLE", " value ")

    assert Environment().optional("PORTAL_TEST_VARIABLE") == "value"


def test_optional_required_and_string() -> None:
    env = Environment({"SET": " x ", "BLANK": "  "})

    assert env.optional("SET") == "x"
    assert env.optional("BLANK") is None
    assert env.optional("MISSING") is None
    assert env.is_set("SET")
    assert not env.is_set("BLANK")
    assert env.string("BLANK", "fallback") == "fallback"
    assert env.required("SET", "why") == "x"
    with pytest.raises(ImproperlyConfigured, match=r"^BLANK must be set: it is needed$"):
        env.required("BLANK", "it is needed")


@given(name=names, word=st.sampled_from(sorted(_BOOLEANS)).flatmap(any_case), pad=blanks)
def test_boolean_accepts_each_spelling_in_any_case(name: str, word: str, pad: str) -> None:
    env = Environment({name: pad + word + pad})

    assert env.boolean(name, default=not _BOOLEANS[word.lower()]) is _BOOLEANS[word.lower()]


@given(name=names, value=st.text(min_size=1))
def test_boolean_refuses_anything_else_naming_the_variable(name: str, value: str) -> None:
    stripped = value.strip()
    env = Environment({name: value})
    if stripped == "":
        assert env.boolean(name, default=True) is True
    elif stripped.lower() in _BOOLEANS:
        assert env.boolean(name, default=True) is _BOOLEANS[stripped.lower()]
    else:
        with pytest.raises(ImproperlyConfigured, match=f"^{name}=.* is not a boolean"):
            env.boolean(name, default=True)


def test_boolean_default_when_missing() -> None:
    assert Environment({}).boolean("DEBUG", default=True) is True
    assert Environment({}).boolean("DEBUG", default=False) is False
    with pytest.raises(ImproperlyConfigured, match=r"^DEBUG='yes please' is not a boolean"):
        Environment({"DEBUG": "yes please"}).boolean("DEBUG", default=True)


@given(name=names, number=st.integers(), minimum=st.integers(-1000, 1000) | st.none())
def test_integer_reads_whole_numbers_down_to_the_minimum(
    name: str, number: int, minimum: int | None
) -> None:
    env = Environment({name: f" {number} "})
    if minimum is None or number >= minimum:
        assert env.integer(name, 7, minimum=minimum) == number
    else:
        with pytest.raises(ImproperlyConfigured, match=f"^{name}={number} must be at least"):
            env.integer(name, 7, minimum=minimum)


def _not_an_int(value: str) -> bool:
    try:
        int(value)
    except ValueError:
        return value.strip() != ""
    return False


@given(name=names, value=st.text(min_size=1).filter(_not_an_int))
def test_integer_refuses_words_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=f"^{name}=.* is not a whole number"):
        Environment({name: value}).integer(name, 7, minimum=0)


def test_integer_default_is_not_checked_against_the_minimum() -> None:
    assert Environment({}).integer("CONN_MAX_AGE", 60, minimum=0) == 60
    assert Environment({"CONN_MAX_AGE": ""}).integer("CONN_MAX_AGE", 60, minimum=0) == 60


items = st.text(min_size=1).map(str.strip).filter(lambda s: s != "" and "," not in s)


@given(name=names, values=st.lists(items, min_size=1), pad=blanks)
def test_csv_list_splits_and_strips(name: str, values: list[str], pad: str) -> None:
    raw = ",".join(f"{pad}{value}{pad}" for value in values) + ","

    assert Environment({name: raw}).csv_list(name, ["default"]) == values


def test_csv_list_default_is_a_copy() -> None:
    default = ["localhost"]
    hosts = Environment({}).csv_list("ALLOWED_HOSTS", default)
    hosts.append("evil.example")

    assert default == ["localhost"]
    assert Environment({"ALLOWED_HOSTS": " , ,"}).csv_list("ALLOWED_HOSTS", default) == []


def test_database_reads_postgres_and_sqlite_urls() -> None:
    env = Environment({"DATABASE_URL": "postgres://portal:s3cret@db.internal:5432/portal"})
    config = env.database("DATABASE_URL", "sqlite:///unused.sqlite3")

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("portal", "portal", "s3cret")
    assert (config["HOST"], config["PORT"]) == ("db.internal", 5432)

    default = Environment({}).database("DATABASE_URL", "sqlite:////srv/portal/db.sqlite3")
    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert default["NAME"] == "/srv/portal/db.sqlite3"


@pytest.mark.parametrize(
    "url",
    [
        "nonsense",
        "http://db.internal/portal",
        "postgres//portal@db/portal",
        "postgres://u:pw@h:x/db",
    ],
)
def test_database_refuses_what_is_not_a_database_url(url: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^DATABASE_URL ") as caught:
        Environment({"DATABASE_URL": url}).database("DATABASE_URL", "sqlite://")
    # The URL may hold a password: the message does not repeat it.
    assert "pw" not in str(caught.value)


@given(name=names, value=st.text().filter(lambda s: "://" not in s and s.strip() != ""))
def test_database_refuses_anything_without_a_scheme(name: str, value: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=f"^{name} is not a database URL"):
        Environment({name: value}).database(name, "sqlite://")


URL_SCHEMES = ("redis", "rediss", "amqp")


@given(
    scheme=st.sampled_from(URL_SCHEMES),
    rest=st.text(alphabet=st.characters(codec="ascii", categories=["L", "N", "P"])),
)
def test_url_accepts_the_listed_schemes(scheme: str, rest: str) -> None:
    url = f"{scheme}://{rest}"

    assert Environment({"BROKER": url}).url("BROKER", "memory://", schemes=URL_SCHEMES) == url


@given(name=names, scheme=st.from_regex(r"[a-z+]{1,10}", fullmatch=True))
def test_url_refuses_other_schemes_naming_the_variable(name: str, scheme: str) -> None:
    env = Environment({name: f"{scheme}://host:1234/0"})
    if scheme in URL_SCHEMES:
        assert env.url(name, "", schemes=URL_SCHEMES).startswith(scheme)
    else:
        with pytest.raises(ImproperlyConfigured, match=f"^{name} must be a URL starting with"):
            env.url(name, "", schemes=URL_SCHEMES)


def test_url_checks_the_default_too() -> None:
    assert Environment({}).url("BROKER", "redis://r:6379/0", schemes=URL_SCHEMES) == (
        "redis://r:6379/0"
    )
    with pytest.raises(ImproperlyConfigured, match=r"^BROKER must be a URL"):
        Environment({}).url("BROKER", "filesystem://", schemes=URL_SCHEMES)


LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@given(name=names, value=st.text(min_size=1))
def test_choice_accepts_only_the_listed_values(name: str, value: str) -> None:
    env = Environment({name: value})
    if value.strip() in LEVELS:
        assert env.choice(name, "INFO", LEVELS) == value.strip()
    elif value.strip() == "":
        assert env.choice(name, "INFO", LEVELS) == "INFO"
    else:
        with pytest.raises(ImproperlyConfigured, match=f"^{name}=.* must be one of: DEBUG, INFO"):
            env.choice(name, "INFO", LEVELS)
