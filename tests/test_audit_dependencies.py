"""CI's audit step (.ci/audit_dependencies.py): why a pin cannot reach its latest release."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / ".ci"))
_spec = importlib.util.spec_from_file_location(
    "audit_dependencies", ROOT / ".ci" / "audit_dependencies.py"
)
assert _spec and _spec.loader
audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit)


def test_extras_are_followed_through_the_tree() -> None:
    # pyproject asks for celery[redis] and psycopg[binary]; celery's redis extra asks kombu's.
    in_use = audit.extras_in_use(audit.project_requirements())
    assert {("celery", "redis"), ("kombu", "redis"), ("psycopg", "binary")} <= in_use
    assert ("celery", "sqs") not in in_use


def test_a_pin_under_an_extra_in_use_is_named() -> None:
    in_use = audit.extras_in_use(audit.project_requirements())
    # Nothing installed can accept a release this far ahead, so every pin on psycopg-binary
    # that applies is named; psycopg asks for it only under its `binary` extra.
    with_extra = audit.held_back_by("psycopg-binary", "999.0", None, in_use)
    without = audit.held_back_by("psycopg-binary", "999.0", None, set())
    assert any(note.startswith("psycopg ") for note in with_extra)
    assert not any(note.startswith("psycopg ") for note in without)


def test_a_newer_python_requirement_is_named() -> None:
    notes = audit.held_back_by("numpy", "99.0", ">=99", set())
    assert any("needs Python >=99" in note for note in notes)
