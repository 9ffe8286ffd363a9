from __future__ import annotations

from pathlib import Path

from gateway.pdp.revision import policy_revision


def _tree(root: Path) -> Path:
    (root / "gateway").mkdir(parents=True)
    (root / "gateway" / "a.rego").write_text("package gateway\n")
    (root / "registry").mkdir()
    (root / "registry" / "data.json").write_text("{}")
    (root / "README.md").write_text("not policy")
    return root


def test_revision_is_stable_and_names_its_algorithm(tmp_path: Path) -> None:
    d = _tree(tmp_path)
    rev = policy_revision(d)
    assert rev.startswith("sha256:")
    assert len(rev) == len("sha256:") + 64
    assert policy_revision(d) == rev


def test_changing_data_or_rego_changes_the_revision(tmp_path: Path) -> None:
    d = _tree(tmp_path)
    before = policy_revision(d)
    (d / "registry" / "data.json").write_text('{"x": 1}')
    after_data = policy_revision(d)
    (d / "gateway" / "a.rego").write_text("package gateway\n\nx := 1\n")
    assert len({before, after_data, policy_revision(d)}) == 3


def test_renaming_a_file_changes_the_revision(tmp_path: Path) -> None:
    d = _tree(tmp_path)
    before = policy_revision(d)
    (d / "gateway" / "a.rego").rename(d / "gateway" / "b.rego")
    assert policy_revision(d) != before


def test_files_opa_does_not_load_do_not_count(tmp_path: Path) -> None:
    d = _tree(tmp_path)
    before = policy_revision(d)
    (d / "README.md").write_text("changed")
    assert policy_revision(d) == before
