"""No merge left half-done: a conflict marker in a tracked text file fails the build."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SKIP = {".git", ".venv", "node_modules", "var", "static"}
MARKER = re.compile(r"^(<{7}|>{7}) ", re.MULTILINE)


def _text_files() -> list[Path]:
    return [
        path
        for pattern in ("*.py", "*.md", "*.html", "*.txt", "*.yaml", "*.yml", "*.toml", "*.css")
        for path in REPO.rglob(pattern)
        if not SKIP.intersection(path.relative_to(REPO).parts)
    ]


def test_no_file_holds_merge_conflict_markers() -> None:
    files = _text_files()
    assert len(files) > 100, "the walk found almost nothing: the pattern list is wrong"
    marked = [
        str(path.relative_to(REPO))
        for path in files
        if MARKER.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert marked == []
