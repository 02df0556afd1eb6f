"""Each hazard in the log names tests that exist: renaming or deleting one fails here."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAFETY_CASE = ROOT / "docs" / "clinical-safety.md"
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::([\w:]+)")
ROW = re.compile(r"^\| (?P<id>[A-Z]+\d+[a-z]?) \|")


def hazard_rows() -> list[tuple[str, str]]:
    """(hazard id, the whole row) for each row of the log's tables."""
    rows = []
    for line in SAFETY_CASE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            rows.append((match["id"], line))
    return rows


@cache
def defined_tests(path: str) -> frozenset[str]:
    """Test functions a module defines, as ``name`` or ``Class::name``."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            )
    return frozenset(n for n in names if n.split("::")[-1].startswith("test_"))


def test_the_log_has_its_hazards() -> None:
    ids = [hazard for hazard, _ in hazard_rows()]
    assert len(ids) >= 60
    assert len(ids) == len(set(ids)), "a hazard id is used twice"


@pytest.mark.parametrize(("hazard", "row"), hazard_rows(), ids=[h for h, _ in hazard_rows()])
def test_each_hazard_names_tests_that_exist(hazard: str, row: str) -> None:
    refs = TEST_REF.findall(row)
    assert refs, f"{hazard} names no test for its control"
    missing = [
        f"{path}::{name}"
        for path, name in refs
        if not (ROOT / path).is_file() or name not in defined_tests(path)
    ]
    assert not missing, f"{hazard} names tests that do not exist: {missing}"
