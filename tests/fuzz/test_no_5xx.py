"""No 5xx on any input (issue 13): generated values sent to every GET parameter and form
field of every page, as every role.

Pages come from the URL resolver (tests/urlwalk.py, branch access's walker; allauth's
account pages are reached through the links that lead to them). Parameters are discovered, not
listed: the GET parameters views read through ``portal.params`` (its QUERY_PARAMS), the
query keys of the links each page shows, and the fields of every form on every page
(GET and POST), sent to the form's action with its own values except the fuzzed ones.

Each request runs in a transaction rolled back afterwards, so one example's cancelled
visit or cleared flag does not change what the next one sees. The example count is
bounded for CI (profile ``fuzz-ci``); ``HYPOTHESIS_FUZZ_PROFILE=fuzz-explore`` runs many
more with fresh randomness.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.params import QUERY_PARAMS
from tests.conftest import client_for
from tests.urlwalk import World, build_world, endpoints

pytestmark = pytest.mark.django_db

# The roles issue 13 names, as the URL walker's cast plays them.
ROLES = {
    "anonymous": "anonymous",
    "patient": "patient_own",
    "practitioner": "practitioner_own",
    "desk": "desk",
    "owner": "owner",
}
ADMIN = "/admin/"
EXTRA_PAGES = 20  # per role and step, so the walk stays within the CI budget
CSRF = "csrfmiddlewaretoken"  # the test client does not check it; fuzzing it finds nothing

_SHARED = settings(
    deadline=None,
    # The world is built once per test and each example rolled back (see ``send``).
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    database=None,
)
# CI: the same examples every run (a new failure is a new bug, not bad luck), about 30 s
# on a 2-core machine together with the walk of every page.
settings.register_profile("fuzz-ci", parent=_SHARED, max_examples=400, derandomize=True)
settings.register_profile("fuzz-explore", parent=_SHARED, max_examples=3000)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_FUZZ_PROFILE", "fuzz-ci"))

# What issue 13 reported, and its relatives: digits int() refuses or reads oddly, signs,
# spaces, zero padding, numbers past any column, NUL bytes, and markup or SQL-ish text.
NASTY = [
    *("²", "¹²³", "⑦", "٣", "\uff11\uff12", "Ⅻ", "0", "-1", "+1", " 1", "1 ", "007", "1.5"),
    *("1e9", "1E+1000000000", "NaN", "Infinity", "9" * 30, str(2**63), str(-(2**63) - 1)),
    *("\x00", "a\x00b", "1\x00", "%00", "", " ", "\t\n", "any", "all", "None", "null"),
    *("' OR 1=1 --", '"; DROP TABLE booking_booking; --', "<script>alert(1)</script>"),
    *("javascript:alert(1)", "//evil.example/", "https://evil.example/", "../../etc/passwd"),
    *("practitioner_dashboard", "/", "😀" * 3, "x" * 5000, "2027-02-30", "0000-00-00"),
    *("9999-12-31", "0001-01-01", "2027-03-01T25:00", "2027-03-01T09:00:00+25:00"),
]
VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=6),
    st.text(max_size=40),  # any code point but surrogates: NUL, emoji, controls, RTL
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["1", "2", "3", "5", "10", "22", "28"]),  # ids that exist
)


@dataclass
class Target:
    """One request shape: method, path, the values a page would send, what may be fuzzed."""

    method: str
    path: str
    values: dict[str, list[str]] = field(default_factory=dict)
    names: tuple[str, ...] = ()
    kind: str = "page"  # a page by GET, a form it showed, or a bare POST


@dataclass
class _Form:
    method: str
    action: str
    values: dict[str, list[str]] = field(default_factory=dict)


class _PageReader(HTMLParser):
    """The forms on a page (their fields and default values) and its links' query keys."""

    def __init__(self, path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.path = path
        self.forms: list[_Form] = []
        self.links: dict[str, dict[str, list[str]]] = {}
        self._form: _Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def _local(self, url: str) -> tuple[str, str] | None:
        parts = urlsplit(urljoin(self.path, url))
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            return None
        return parts.path, parts.query

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            local = self._local(a["href"])
            if local:
                keys = self.links.setdefault(local[0], {})
                for k, v in parse_qsl(local[1], keep_blank_values=True):
                    keys.setdefault(k, [v])
        elif tag == "form":
            local = self._local(a.get("action") or self.path)
            if local:
                self._form = _Form((a.get("method") or "get").upper(), local[0])
                self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "button") and a.get("name"):
            kind = a.get("type", "text" if tag == "input" else "submit")
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form.values.setdefault(a["name"], [])
            elif kind not in ("submit", "image", "file") or not self._form.values.get(a["name"]):
                self._form.values.setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.values.setdefault(self._select, [])
        elif tag == "option" and self._select and not self._form.values[self._select]:
            self._form.values[self._select].append(a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form.values.setdefault(self._textarea, [""])

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form.values[self._textarea] = [data]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


class Browsers:
    """One signed-in browser per role, its cookies put back after each request (a fuzzed
    sign-out must not sign the next example out; its session rows are rolled back)."""

    def __init__(self, world: World) -> None:
        users = world.users()
        self.clients = {
            role: Client() if users[who] is None else client_for(users[who])  # type: ignore[arg-type]
            for role, who in ROLES.items()
        }
        self.cookies = {role: c.cookies for role, c in self.clients.items()}

    def request(self, role: str, method: str, path: str, data: dict[str, list[str]]) -> Any:
        client = self.clients[role]
        client.cookies = copy.copy(self.cookies[role])
        return client.post(path, data) if method == "POST" else client.get(path, data)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Whatever the request wrote is undone afterwards."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def send(browsers: Browsers, role: str, target: Target, values: dict[str, list[str]]) -> Any:
    """``target`` as ``role`` with ``values`` over the page's own; fails on a 5xx."""
    data = {**target.values, **values}
    with rolled_back():
        response = browsers.request(role, target.method, target.path, data)
    assert response.status_code < 500, (role, target.method, target.path, data)
    return response


@pytest.fixture
def world(settings: Any) -> World:
    # Every person of the world gets a password; the production hasher would dominate.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def _shape(path: str) -> str:
    """The path with its ids blanked: the pages of ten bookings are one page to fuzz."""
    return re.sub(r"\d+", "N", path)


def discover(world: World, browsers: Browsers) -> dict[str, list[Target]]:
    """Each role's targets: every page by GET (with the parameters views read and its links'
    query keys) and by POST, and every form seen on a page sent to its action. Opening each
    page plainly on the way must not be a 5xx either."""
    every = endpoints(world)
    targets: dict[str, list[Target]] = {}
    for role in ROLES:
        links: dict[str, dict[str, list[str]]] = {}
        forms: list[_Form] = []

        def read(path: str, values: dict[str, list[str]]) -> None:
            response = send(browsers, role, Target("GET", path, values), {})  # noqa: B023
            moved = urlsplit(response.get("Location", "")) if response.status_code == 302 else None
            if moved and moved.path.startswith("/") and not moved.netloc:
                # A redirect to a page worth a look (a service's only practitioner's week).
                keys = links.setdefault(moved.path, {})  # noqa: B023
                for k, v in parse_qsl(moved.query, keep_blank_values=True):
                    keys.setdefault(k, [v])
            if "html" in response.get("Content-Type", ""):
                reader = _PageReader(path)
                reader.feed(response.content.decode(errors="replace"))
                forms.extend(reader.forms)  # noqa: B023
                for linked, keys in reader.links.items():
                    entry = links.setdefault(linked, {})  # noqa: B023
                    for k, v in keys.items():
                        entry.setdefault(k, v)

        for path in every.values():
            read(path, {})
        # A few steps further: a page of each shape the links (and redirects) open, with the
        # link's query (a week's time opens the confirm page, whose form posts the booking;
        # the services list opens each service's week).
        shapes = {_shape(p) for p in every.values()}
        done = set(every.values())
        queried: set[str] = set()
        for _ in range(2):
            fresh = [
                (p, v)
                for p, v in links.items()
                if not p.startswith(ADMIN)
                and (
                    (_shape(p) not in shapes and p not in done)
                    or (any(v.values()) and p not in queried)
                )
            ]
            for path, values in fresh[:EXTRA_PAGES]:
                done.add(path)
                shapes.add(_shape(path))
                if any(values.values()):
                    queried.add(path)
                read(path, values)
        posted: dict[str, set[str]] = {}
        for form in forms:
            posted.setdefault(form.action, set()).update(set(form.values) - {CSRF})
        mine = targets[role] = []
        # Sorted: derandomized examples draw from the same list every run.
        for path in sorted(done):
            known = links.get(path, {})
            names = tuple(sorted({*QUERY_PARAMS, *known}))
            mine.append(Target("GET", path, known, names, kind="page"))
            post = tuple(sorted(posted.get(path, set()) or {"x"}))
            mine.append(Target("POST", path, {}, post, kind="post"))
        seen = set()
        for form in forms:
            # One of each kind: the remove buttons of ten weekly hours are one form.
            key = (form.method, _shape(form.action), tuple(sorted(form.values)))
            names = tuple(n for n in form.values if n != CSRF)
            if key not in seen and names:
                seen.add(key)
                mine.append(Target(form.method, form.action, form.values, names, kind="form"))
    return targets


def test_no_page_answers_5xx_to_any_input(world: World) -> None:
    browsers = Browsers(world)
    targets = discover(world, browsers)
    # The walk must have found something to fuzz as every role, or the rest proves nothing.
    assert set(targets) == set(ROLES)
    for role, mine in targets.items():
        assert sum(t.kind == "page" for t in mine) >= 3, role
        assert any(t.kind == "form" for t in mine), role
    # The reported classes on every target, deterministically: odd digits and NUL bytes in
    # every parameter at once.
    statuses = [
        send(browsers, role, target, {n: [value] for n in target.names}).status_code
        for role, mine in targets.items()
        for target in mine
        for value in ("²", "a\x00b")
    ]
    assert statuses and max(statuses) < 500

    @PROFILE
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        role = data.draw(st.sampled_from(list(ROLES)), label="role")
        # Forms a page showed, GET parameters, bare POSTs: a third each, so the many bare
        # POSTs (mostly refused early) do not crowd out the forms.
        pools = {k: [t for t in targets[role] if t.kind == k] for k in ("form", "page", "post")}
        kind = data.draw(st.sampled_from([k for k, p in pools.items() if p]), label="kind")
        target = data.draw(st.sampled_from(pools[kind]), label="target")
        names = data.draw(
            st.lists(st.sampled_from(target.names), min_size=1, max_size=3, unique=True),
            label="names",
        )
        values = {n: [data.draw(VALUES, label=n)] for n in names}
        send(browsers, role, target, values)

    fuzz()
