"""Parameters are operators' data (issue 10 item 5): inside its range, a value goes live.

``policies/params/data.json`` is the operator's to edit, within the range each
parameter documents in ``policies/schema/params/data.json`` (and
``policies/README.md``). For every parameter, a copy of ``policies/`` is started by
the gateway's own :class:`~gateway.pdp.manager.PolicyManager` (snapshot, local OPA,
smoke decisions), and the parameter is then set to the low end, a middle value and
the high end of its range: :meth:`~gateway.pdp.manager.PolicyManager.reload_if_changed`
must activate each one, i.e. ``opa check --strict``, the range test, the whole
``opa test``, the registry facts, the policy's texts and a second OPA deciding every
example on the live data all pass. A value just outside the range is refused with an
error naming the parameter, and the last good revision keeps deciding.

Before the Rego tests read their thresholds from ``data.params`` this failed for
``AUTO_BATCH_MAX`` (a GW-9a test built 11 subjects), ``BULK_DENY_MIN``, the caseloads,
the name scores, the order age, the placeholders, the invalid ZIP codes and the
tainted disclosure ids.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.clock import SystemClock
from gateway.pdp.manager import PolicyManager
from tests.conftest import POLICY_DIR
from tests.support import make_settings

SCHEMA = json.loads((POLICY_DIR / "schema" / "params" / "data.json").read_text())
DEFAULTS = json.loads((POLICY_DIR / "params" / "data.json").read_text())

LISTS: dict[str, tuple[list[Any], list[Any], Any]] = {
    # parameter: (in range, shortest), (in range, longer), out of range
    "ADDRESS_PLACEHOLDERS": (["TBD"], [*DEFAULTS["ADDRESS_PLACEHOLDERS"], "NOT KNOWN"], []),
    "ZIP_INVALID": (["00000"], [*DEFAULTS["ZIP_INVALID"], "11111"], ["0000"]),
    "TAINTED_DISCLOSURE_IDS": (
        ["IRS-ICE-2026-01-15"],
        [*DEFAULTS["TAINTED_DISCLOSURE_IDS"], "IRS-ICE-2026-01-15"],
        [],
    ),
}
TIME_ZONES = (["America/Chicago", "UTC"], "Eastern time")


def in_range_values(name: str) -> list[Any]:
    """The low end, a middle value and the high end of the documented range."""
    spec = SCHEMA["properties"][name]
    if spec["type"] in ("integer", "number"):
        low, high = spec["minimum"], spec["maximum"]
        middle = (low + high) // 2 if spec["type"] == "integer" else round((low + high) / 2, 3)
        return [low, middle, high]
    if name in LISTS:
        shortest, longer, _ = LISTS[name]
        return [shortest, longer]
    return list(TIME_ZONES[0])


def out_of_range_values(name: str) -> list[Any]:
    spec = SCHEMA["properties"][name]
    if spec["type"] == "integer":
        return [spec["minimum"] - 1, spec["maximum"] + 1]
    if spec["type"] == "number":
        return [round(spec["minimum"] - 0.01, 3), round(spec["maximum"] + 0.01, 3)]
    if name in LISTS:
        return [LISTS[name][2]]
    return [TIME_ZONES[1]]


def test_every_parameter_has_a_documented_range() -> None:
    assert sorted(SCHEMA["properties"]) == sorted(DEFAULTS) == sorted(SCHEMA["required"])
    assert SCHEMA["additionalProperties"] is False
    for name, spec in SCHEMA["properties"].items():
        if spec["type"] in ("integer", "number"):
            assert spec["minimum"] <= DEFAULTS[name] <= spec["maximum"], name
    readme = (POLICY_DIR / "README.md").read_text()
    for name, spec in SCHEMA["properties"].items():
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{name}`")), "")
        assert row, f"policies/README.md has no row for {name}"
        if spec["type"] in ("integer", "number"):
            assert f"{spec['minimum']} – {spec['maximum']}" in row, row


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, target)
    return target


@pytest.fixture
def manager(tmp_path: Path, policy_dir: Path, opa_binary: Path) -> Iterator[PolicyManager]:
    settings = make_settings(
        tmp_path / "home", f"sqlite:///{tmp_path / 'gw.db'}", opa_binary, policy_dir=policy_dir
    )
    settings.home.mkdir(parents=True, exist_ok=True)
    m = PolicyManager(settings, SystemClock())
    m.start()
    try:
        yield m
    finally:
        m.stop()


def _set(policy_dir: Path, name: str, value: Any) -> None:
    path = policy_dir / "params" / "data.json"
    values = json.loads(path.read_text())
    values[name] = value
    path.write_text(json.dumps(values, indent=2))


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_a_parameter_anywhere_in_its_range_passes_the_reload_checks(
    name: str, manager: PolicyManager, policy_dir: Path
) -> None:
    assert manager.status is not None
    for value in in_range_values(name):
        _set(policy_dir, name, value)
        activated = manager.reload_if_changed()
        assert activated, f"{name} = {value!r} was refused:\n{manager.status.last_error}"
        if name == "DUP_WINDOW_SECONDS":
            assert manager.active is not None
            assert manager.active.current().duplicate_window.total_seconds() == value


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_a_parameter_outside_its_range_is_refused_naming_it(
    name: str, manager: PolicyManager, policy_dir: Path
) -> None:
    assert manager.status is not None
    live = manager.status.active_revision
    for value in out_of_range_values(name):
        _set(policy_dir, name, value)
        assert manager.reload_if_changed() is False, f"{name} = {value!r} was activated"
        error = manager.status.last_error or ""
        assert "parameter out of its documented range" in error, error
        assert f"data.params {name}" in error, error
        assert manager.status.active_revision == live


def test_an_unknown_parameter_is_refused(manager: PolicyManager, policy_dir: Path) -> None:
    """A misspelt name would otherwise leave the real parameter at its old value unnoticed."""
    assert manager.status is not None
    _set(policy_dir, "AUTO_BATCH_MAXIMUM", 20)
    assert manager.reload_if_changed() is False
    assert "AUTO_BATCH_MAXIMUM" in (manager.status.last_error or "")
