"""The lock files pin, with hashes, everything pyproject.toml asks for: a dependency added or
a range changed without `make lock` fails here (offline, so CI needs no resolver)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def pins(lock: str) -> dict[str, str]:
    """{package: version} of a uv/pip-tools lock, checking that every pin carries a hash."""
    found: dict[str, str] = {}
    text = (ROOT / lock).read_text()
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(block)
        if match is None:
            continue
        name = canonicalize_name(match.group(1))
        assert "--hash=sha256:" in block, f"{lock}: {name} has no hash"
        found[name] = match.group(2)
    return found


def requirements(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(text) for text in listed]


@pytest.mark.parametrize(
    ("lock", "wanted"),
    [
        ("requirements.lock", requirements()),
        ("requirements-dev.lock", requirements() + requirements("dev")),
    ],
)
def test_the_lock_pins_what_pyproject_asks_for(lock: str, wanted: list[Requirement]) -> None:
    pinned = pins(lock)
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} is not in {lock}: run make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {name}=={pinned[name]}, outside {requirement}: run make lock"
        )


def test_production_and_development_agree_on_every_version() -> None:
    production, development = pins("requirements.lock"), pins("requirements-dev.lock")
    assert {n: v for n, v in development.items() if n in production} == production
    assert "pytest" not in production and "gunicorn" in production and "stripe" in production
