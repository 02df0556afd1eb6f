"""Run attempts at the same moment, each on its own thread and database connection, as two
browser tabs or two workers would: what each returned or raised. ``while_held`` runs one
attempt while another's transaction holds its locks, for the "waits, then sees it" races."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction


@dataclass
class Outcome:
    value: Any = None
    error: Exception | None = None


def at_once(attempts: Sequence[Callable[[], Any]], *, timeout: float = 60) -> list[Outcome]:
    """Start every attempt together (a barrier) and wait for all; a racer still running after
    ``timeout`` seconds fails the test (a deadlock the database did not break)."""
    barrier = threading.Barrier(len(attempts), timeout=30)
    outcomes = [Outcome(error=RuntimeError("not run")) for _ in attempts]

    def run(i: int, attempt: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[i] = Outcome(value=attempt())
        except Exception as exc:  # reported by the caller's assertions
            outcomes[i] = Outcome(error=exc)
        finally:
            connection.close()  # this thread's connection only

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a racer is stuck (deadlock?)"
    return outcomes


def _attempt(attempt: Callable[[], Any]) -> Outcome:
    try:
        return Outcome(value=attempt())
    except Exception as exc:  # reported by the caller's assertions
        return Outcome(error=exc)


def while_held(
    first: Callable[[], Any],
    second: Callable[[], Any],
    *,
    hold: float = 1.5,
    timeout: float = 30,
) -> tuple[Outcome, Outcome]:
    """Run ``first`` in a transaction kept open ``hold`` seconds after it returns (its row locks
    held), and ``second`` once ``first`` has returned: the second must wait for the commit."""
    done = threading.Event()
    outcomes = [Outcome(error=RuntimeError("not run")), Outcome(error=RuntimeError("not run"))]

    def holder() -> None:
        try:
            with transaction.atomic():
                outcomes[0] = _attempt(first)
                done.set()
                threading.Event().wait(hold)  # the second arrives meanwhile
        finally:
            done.set()
            connection.close()

    def follower() -> None:
        done.wait(timeout)
        try:
            outcomes[1] = _attempt(second)
        finally:
            connection.close()

    threads = [threading.Thread(target=holder), threading.Thread(target=follower)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a racer is stuck (deadlock?)"
    return outcomes[0], outcomes[1]


def labelled(
    outcomes: Sequence[Outcome], *, ok: str, expected: Mapping[type[Exception], str]
) -> list[tuple[str, Any]]:
    """Each outcome as (label, value or error): ``ok`` for a value, the label of an expected
    refusal for its error; any other error fails the test."""
    results: list[tuple[str, Any]] = []
    for outcome in outcomes:
        if outcome.error is None:
            results.append((ok, outcome.value))
            continue
        label = next((v for k, v in expected.items() if isinstance(outcome.error, k)), "error")
        results.append((label, outcome.error))
    errors = [r for r in results if r[0] == "error"]
    assert not errors, errors
    return results
