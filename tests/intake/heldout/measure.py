"""Measure the free-text screen on a held-out round: python tests/intake/heldout/measure.py FILE."""

from __future__ import annotations

import sys

import yaml

from intake.triage import Level, rank, screen_text


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    missed, under, wrong_reason, false_pos = [], [], [], []
    for case in data["red_flags"]:
        got = screen_text(case["text"])
        want = Level(case["level"])
        if got.level is None:
            missed.append((case, got))
        elif rank(got.level) < rank(want):
            under.append((case, got))
        elif case["hazard"] not in got.reasons:
            wrong_reason.append((case, got))
    for case in data["near_misses"]:
        got = screen_text(case["text"])
        if got.level is not None and rank(got.level) >= rank(Level.URGENT):
            false_pos.append((case, got))
    n, m = len(data["red_flags"]), len(data["near_misses"])
    print(f"red flags {n}, near misses {m}")
    share = (len(missed) + len(under)) / n
    print(f"missed {len(missed)}, under-levelled {len(under)} ({share:.0%})")
    print(f"near misses urgent/emergency {len(false_pos)}")
    print(f"(right level, other reason: {len(wrong_reason)})")
    for title, rows in (
        ("MISSED", missed),
        ("UNDER", under),
        ("FALSE POSITIVE", false_pos),
        ("OTHER REASON", wrong_reason),
    ):
        for case, got in rows:
            print(f"{title}: [{case.get('level')}] {case['text']!r} -> {got.level} {got.reasons}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
