#!/usr/bin/env python3
"""Mutation testing of the policy: do `opa test` and the invariant tests notice a broken rule?

Each mutant is ``policies/`` with one change, in a temporary copy:

* Rego (rule modules, not tests): a body condition negated (``negate``), a body
  condition dropped (``drop``), a comparison operator moved across its boundary
  (``compare``: ``==``/``!=``, ``<``/``<=``, ``>``/``>=``), a number in a rule
  changed by one (``number``), one string removed from a literal word list or
  set such as the DHS words (``word-list``);
* data: a registry entry removed (``registry-entry``), one string removed from a
  list in a registry or the params, such as an alias or an eligible basis
  (``list-element``; a params list is emptied instead), a boolean fact flipped
  (``flip``), a numeric param moved one step outside its documented range
  (``threshold``), an injunction marked VACATED with a ``status_effective`` in its
  own term (a day after it took effect) and a ``status_ref`` (``vacate``). Inside
  their ranges the params are the operator's to change and the tests follow them
  (policies/README.md), so only a value outside a range is a mutant.

A mutant is *killed* when ``opa test`` fails on the copy, or else when an
invariant test (tests/invariants, the ``mutation`` Hypothesis profile, the
gateway and OPA pointed at the copy with ``GATEWAY_TEST_POLICY_DIR``) fails
that passes on the unmutated copy (the baseline: a property that already fails
there proves nothing about the mutant). A mutant that ``opa check --strict``
refuses is *invalid* and not counted. A mutant that survives is reported; the
run exits 1 unless it is listed, with a reason, in the equivalents file.

The mutant set is deterministic: every candidate of an operator is generated in
file order and, when an operator has more candidates than its budget, the ones
kept are those whose id has the smallest SHA-256 (a sample that does not move
when unrelated lines change). ``--subset N`` keeps N mutants spread over the
operators the same way, for ``make test``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
OPA = Path(os.environ.get("GATEWAY_OPA_BINARY", REPO / ".tools" / "bin" / "opa"))
EQUIVALENTS = REPO / "scripts" / "mutation-equivalents.json"
RESULTS = REPO / "bench" / "results" / "mutation.json"
INVARIANTS = [
    # cheapest first: with -x, a mutant is usually killed before the gateway-level search
    "tests/invariants/test_live_registry.py",
    "tests/invariants/test_policy_input_invariants.py",
    "tests/invariants/test_lookup_invariants.py",
]
INVARIANT_MARKS = "invariant and not e2e"

BUDGET = {
    "negate": 14,
    "drop": 10,
    "compare": 10,
    "number": 4,
    "word-list": 12,
    "registry-entry": 8,
    "list-element": 8,
    "flip": 6,
    "threshold": 4,
    "vacate": 4,
}
"""Mutants per operator in the full run (all of them when an operator has fewer)."""

console = Console(highlight=False, soft_wrap=True)


# --- mutants --------------------------------------------------------------------------


@dataclass(frozen=True)
class Mutant:
    id: str
    """Stable across unrelated edits: file, operator and the text or JSON path mutated."""
    file: str
    line: int
    operator: str
    description: str
    apply: Callable[[Path], None] = field(compare=False, repr=False)

    @property
    def rank(self) -> str:
        return hashlib.sha256(self.id.encode()).hexdigest()


def _replace_line(rel: str, line_no: int, new: str | None) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        lines = path.read_text().split("\n")
        if new is None:
            del lines[line_no - 1]
        else:
            lines[line_no - 1] = new
        path.write_text("\n".join(lines))

    return apply


def _replace_span(rel: str, start: int, end: int, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        text = path.read_text()
        path.write_text(text[:start] + new + text[end:])

    return apply


_CODE_OPS = {"==": "!=", "!=": "==", "<=": "<", ">=": ">", "<": "<=", ">": ">="}
_ASSIGN = re.compile(r"(?<![=!<>:])=(?!=)|:=")
_OPERATOR = re.compile(r"==|!=|<=|>=|<|>")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
_ONE_LINER = re.compile(r"^(?P<head>[^\s#][^{]*?\sif\s)(?P<cond>[^{}]+)$")
_STRING_LIST = re.compile(r"[{\[]\s*(\"[^\"\n]*\"\s*(?:,\s*\"[^\"\n]*\"\s*)+),?\s*[}\]]")
_STRING = re.compile(r"\"[^\"\n]*\"")


def _code_spans(line: str) -> list[tuple[int, int]]:
    """Parts of a line outside string literals, raw strings and comments."""
    spans, start, i, quote = [], 0, 0, ""
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote, start = "", i + 1
        elif c in '"`':
            spans.append((start, i))
            quote = c
        elif c == "#":
            spans.append((start, i))
            return spans
        i += 1
    if not quote:
        spans.append((start, len(line)))
    return spans


def _balanced(text: str) -> bool:
    depth = 0
    for a, b in _code_spans(text):
        for c in text[a:b]:
            depth += c in "([{"
            depth -= c in ")]}"
    return depth == 0


def _condition(line: str) -> bool:
    """A line that is one whole expression of a rule body (no assignment, no iteration)."""
    body = line.strip()
    if not body or body.startswith(
        ("#", "some ", "every ", "else", "default", "package", "import")
    ):
        return False
    if body in {"}", "]", ")"} or body.endswith(("{", "[", "(", ",", "|")):
        return False
    if not line.startswith("\t") or not _balanced(body):
        return False
    code = "".join(body[a:b] for a, b in _code_spans(body))
    return not _ASSIGN.search(code) and "|" not in code


def rego_mutants(rel: str, text: str) -> Iterator[Mutant]:
    lines = text.split("\n")
    seen: Counter[str] = Counter()
    for no, line in enumerate(lines, start=1):
        key = hashlib.sha256(line.strip().encode()).hexdigest()[:10]
        seen[key] += 1
        tag = f"{key}.{seen[key]}"
        indent = line[: len(line) - len(line.lstrip())]
        body = line.strip()
        one = _ONE_LINER.match(line)
        if _condition(line):
            negated = body[4:] if body.startswith("not ") else f"not {body}"
            yield Mutant(
                f"{rel}:negate:{tag}", rel, no, "negate", f"{body}  →  {negated}",
                _replace_line(rel, no, indent + negated),
            )  # fmt: skip
            yield Mutant(
                f"{rel}:drop:{tag}", rel, no, "drop", f"drop `{body}`", _replace_line(rel, no, None)
            )
        elif one and _balanced(one["cond"]) and not _ASSIGN.search(one["cond"]):
            cond = one["cond"].strip()
            negated = cond[4:] if cond.startswith("not ") else f"not {cond}"
            yield Mutant(
                f"{rel}:negate:{tag}", rel, no, "negate", f"{cond}  →  {negated}",
                _replace_line(rel, no, one["head"] + negated),
            )  # fmt: skip
            yield Mutant(
                f"{rel}:drop:{tag}", rel, no, "drop", f"`{cond}`  →  `true`",
                _replace_line(rel, no, one["head"] + "true"),
            )  # fmt: skip
        if body.startswith("#"):
            continue
        for a, b in _code_spans(line):
            for m in _OPERATOR.finditer(line, a, b):
                op = m.group()
                new = line[: m.start()] + _CODE_OPS[op] + line[m.end() :]
                yield Mutant(
                    f"{rel}:compare:{tag}@{m.start()}", rel, no, "compare",
                    f"{body}  →  {new.strip()}", _replace_line(rel, no, new),
                )  # fmt: skip
            for m in _NUMBER.finditer(line, a, b):
                value = m.group()
                bumped = str(int(value) + 1) if value.isdigit() else str(float(value) + 0.05)
                new = line[: m.start()] + bumped + line[m.end() :]
                yield Mutant(
                    f"{rel}:number:{tag}@{m.start()}", rel, no, "number",
                    f"{body}  →  {new.strip()}", _replace_line(rel, no, new),
                )  # fmt: skip
    for m in _STRING_LIST.finditer(text):
        items = list(_STRING.finditer(text, m.start(1), m.end(1)))
        line_no = text.count("\n", 0, m.start()) + 1
        for item in items:
            start, end = item.start(), item.end()
            after = re.match(r"\s*,\s*", text[end:])
            if after:
                end += after.end()
            else:  # the last element: take the comma before it
                before = re.search(r",\s*$", text[: item.start()])
                if before:
                    start = before.start()
            yield Mutant(
                f"{rel}:word-list:{item.group()}@{line_no}", rel,
                text.count("\n", 0, item.start()) + 1, "word-list",
                f"remove {item.group()} from the list on line {line_no}",
                _replace_span(rel, start, end, ""),
            )  # fmt: skip


def _json_line(text: str, key: str) -> int:
    at = text.find(json.dumps(key))
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def _json_edit(rel: str, change: Callable[[Any], None]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    return apply


def _at(path: tuple[Any, ...]) -> Callable[[Any], Any]:
    def get(data: Any) -> Any:
        for k in path:
            data = data[k]
        return data

    return get


def _remove_key(path: tuple[Any, ...], key: str) -> Callable[[Any], None]:
    return lambda data: _at(path)(data).pop(key)


def _remove_item(path: tuple[Any, ...], item: Any) -> Callable[[Any], None]:
    return lambda data: _at(path)(data).remove(item)


def _set(path: tuple[Any, ...], key: Any, value: Any) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        _at(path)(data)[key] = value

    return change


def _vacate(key: str) -> Callable[[Any], None]:
    def change(data: Any) -> None:
        order = data[key]
        effective = datetime.fromisoformat(order["effective_from"]) + timedelta(days=1)
        order.update(
            status="VACATED",
            status_effective=effective.isoformat(),
            status_ref="Mutation test: order vacated (hypothetical docket entry)",
        )

    return change


def data_mutants(rel: str, text: str) -> Iterator[Mutant]:
    data = json.loads(text)
    registry = rel.startswith("policies/registry/")

    def walk(node: Any, path: tuple[Any, ...]) -> Iterator[Mutant]:
        if isinstance(node, dict):
            for k, v in node.items():
                where = "/".join(map(str, (*path, k)))
                line = _json_line(text, k)
                if isinstance(v, bool) and registry:
                    yield Mutant(
                        f"{rel}:flip:{where}", rel, line, "flip", f"{where}: {v} → {not v}",
                        _json_edit(rel, _set(path, k, not v)),
                    )  # fmt: skip
                elif isinstance(v, int | float) and not isinstance(v, bool) and not registry:
                    for new in _moved(v, k):
                        yield Mutant(
                            f"{rel}:threshold:{where}={new}", rel, line, "threshold",
                            f"{where}: {v} → {new}", _json_edit(rel, _set(path, k, new)),
                        )  # fmt: skip
                yield from walk(v, (*path, k))
        elif isinstance(node, list) and all(isinstance(x, str) for x in node) and node:
            where = "/".join(map(str, path))
            if not registry:
                emptied = _json_edit(rel, _set(path[:-1], path[-1], []))
                yield Mutant(
                    f"{rel}:list-element:{where}:(all)", rel, _json_line(text, path[-1]),
                    "list-element", f"empty {where}", emptied,
                )  # fmt: skip
                return
            for item in node:
                yield Mutant(
                    f"{rel}:list-element:{where}:{item}", rel, _json_line(text, item),
                    "list-element", f"remove {item!r} from {where}",
                    _json_edit(rel, _remove_item(path, item)),
                )  # fmt: skip

    if registry and isinstance(data, dict):
        for key, entry in data.items():
            if isinstance(entry, dict):
                yield Mutant(
                    f"{rel}:registry-entry:{key}", rel, _json_line(text, key), "registry-entry",
                    f"remove entry {key}", _json_edit(rel, _remove_key((), key)),
                )  # fmt: skip
                if entry.get("kind") == "INJUNCTION" or entry.get("status") == "ACTIVE":
                    yield Mutant(
                        f"{rel}:vacate:{key}", rel, _json_line(text, key), "vacate",
                        f"{key} VACATED a day after it took effect", _json_edit(rel, _vacate(key)),
                    )  # fmt: skip
    yield from walk(data, ())


PARAM_RANGES = REPO / "policies" / "schema" / "params" / "data.json"


def _moved(v: float, name: str) -> list[float]:
    """One step below and above the parameter's documented range."""
    spec = json.loads(PARAM_RANGES.read_text())["properties"][name]
    step = 1 if isinstance(v, int) else 0.01
    return [round(spec["minimum"] - step, 4), round(spec["maximum"] + step, 4)]


def policy_files(policy_dir: Path) -> Iterator[Path]:
    for path in sorted(policy_dir.rglob("*")):
        rel = path.relative_to(policy_dir)
        if not path.is_file() or "testkit" in rel.parts or path.name.endswith("_test.rego"):
            continue
        if rel.parts[:2] == ("registry", "staff"):
            continue  # staff sign-in is gateway/auth/registry.py's data, not the policy's
        if path.suffix == ".rego" or (
            path.suffix == ".json" and rel.parts[0] in {"registry", "params"}
        ):
            yield path


def all_mutants(policy_dir: Path) -> list[Mutant]:
    out: list[Mutant] = []
    for path in policy_files(policy_dir):
        rel = "policies/" + path.relative_to(policy_dir).as_posix()
        text = path.read_text()
        out.extend(rego_mutants(rel, text) if path.suffix == ".rego" else data_mutants(rel, text))
    unique = {m.id: m for m in out}
    return list(unique.values())


def sample(mutants: list[Mutant], budget: dict[str, int]) -> list[Mutant]:
    """Per operator, the ``budget`` mutants with the smallest id hash; in file order."""
    chosen: list[Mutant] = []
    for operator in sorted({m.operator for m in mutants}):
        of_op = sorted((m for m in mutants if m.operator == operator), key=lambda m: m.rank)
        chosen.extend(of_op[: budget.get(operator, len(of_op))])
    return sorted(chosen, key=lambda m: (m.file, m.line, m.id))


def subset_budget(n: int, mutants: list[Mutant]) -> dict[str, int]:
    """Spread ``n`` mutants over the operators in proportion to their full-run share."""
    counts = Counter(m.operator for m in sample(mutants, BUDGET))
    total = sum(counts.values())
    return {op: max(1, round(n * c / total)) for op, c in counts.items()}


# --- running ------------------------------------------------------------------------------


@dataclass
class Result:
    id: str
    file: str
    line: int
    operator: str
    description: str
    status: str = "pending"
    """killed, survived, equivalent or invalid."""
    killed_by: str | None = None
    seconds: float = 0.0
    detail: str = ""


def _run(
    cmd: list[str], env: dict[str, str] | None = None, timeout: float = 300
) -> tuple[int, str]:
    """Exit code and the tail of the output; a run past ``timeout`` counts as a failure
    (exit -9), as mutation tools count a mutant that makes the tests hang as killed."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv
            cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=REPO, check=False
        )
    except subprocess.TimeoutExpired:
        return -9, f"timed out after {timeout:.0f} s"
    return done.returncode, (done.stdout + done.stderr)[-4000:]


def _invariant_env(policy_dir: Path, profile: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GATEWAY_TEST_POLICY_DIR=str(policy_dir),
        GATEWAY_HYPOTHESIS_PROFILE=profile,
        GATEWAY_OPA_BINARY=str(OPA),
    )
    return env


def _pytest(policy_dir: Path, profile: str, junit: Path | None, deselect: list[str]) -> list[str]:
    cmd = [
        sys.executable, "-m", "pytest", *INVARIANTS, "-m", INVARIANT_MARKS, "-q",
        "-p", "no:cacheprovider", "-p", "no:randomly", "-o", "addopts=", "--no-header",
    ]  # fmt: skip
    if junit is not None:
        cmd += [f"--junitxml={junit}"]
    else:
        cmd += ["-x"]
    for node in deselect:
        cmd += ["--deselect", node]
    return cmd


def _failed_tests(junit: Path) -> list[str]:
    failed = []
    for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314 - our own pytest's file
        if case.find("failure") is not None or case.find("error") is not None:
            module = case.get("classname", "").replace(".", "/") + ".py"
            failed.append(f"{module}::{case.get('name')}")
    return failed


def baseline(policy_dir: Path, profile: str, scratch: Path) -> tuple[list[str], float]:
    """Check the unmutated copy: `opa test` must pass; list the invariant tests that fail."""
    started = time.monotonic()
    code, out = _run([str(OPA), "test", str(policy_dir)])
    if code != 0:
        console.print(out)
        sys.exit("mutation: `opa test` fails on the unmutated policy; fix that first")
    junit = scratch / "baseline.xml"
    _run(_pytest(policy_dir, profile, junit, []), _invariant_env(policy_dir, profile), 1800)
    if not junit.exists():
        sys.exit("mutation: the invariant tests did not run on the unmutated policy")
    return _failed_tests(junit), time.monotonic() - started


def judge(
    m: Mutant,
    source: Path,
    profile: str,
    deselect: list[str] | None,
    equivalents: dict[str, str],
) -> Result:
    r = Result(m.id, m.file, m.line, m.operator, m.description)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
        copy = Path(tmp) / "policies"
        shutil.copytree(source, copy)
        m.apply(Path(tmp))
        code, out = _run([str(OPA), "check", "--strict", str(copy)])
        if code != 0:
            r.status, r.detail = "invalid", out.strip().splitlines()[0] if out.strip() else ""
        elif _run([str(OPA), "test", str(copy)])[0] != 0:
            r.status, r.killed_by = "killed", "opa test"
        elif deselect is None:
            r.status = "equivalent" if m.id in equivalents else "survived"
        else:
            code, out = _run(
                _pytest(copy, profile, None, deselect), _invariant_env(copy, profile), 600
            )
            failed = re.findall(r"^FAILED (\S+)", out, re.MULTILINE) + re.findall(
                r"^ERROR (\S+)", out, re.MULTILINE
            )
            if code != 0:
                r.status = "killed"
                r.killed_by = failed[0] if failed else f"invariant tests ({out.strip()[-80:]})"
            elif m.id in equivalents:
                r.status, r.detail = "equivalent", equivalents[m.id]
            else:
                r.status = "survived"
    r.seconds = round(time.monotonic() - started, 2)
    return r


def _shown(path: Path) -> str:
    """A path relative to the repository when inside it (results are committed)."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policy-dir", type=Path, default=REPO / "policies")
    parser.add_argument("--subset", type=int, default=0, help="run N mutants (0: the full set)")
    parser.add_argument("--jobs", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    parser.add_argument("--profile", default="mutation", help="Hypothesis profile of the tests")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--equivalents", type=Path, default=EQUIVALENTS)
    parser.add_argument("--list", action="store_true", help="print the mutants and exit")
    parser.add_argument("--only", action="append", default=[], help="run only this mutant id")
    parser.add_argument(
        "--opa-only", action="store_true", help="judge by `opa test` alone (a quick look)"
    )
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="mutation-"))
    try:
        # One snapshot for the whole run: others may edit policies/ meanwhile.
        source = scratch / "policies"
        shutil.copytree(args.policy_dir.resolve(), source)
        return _mutate(args, source, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _mutate(args: argparse.Namespace, source: Path, scratch: Path) -> int:
    every = all_mutants(source)
    budget = subset_budget(args.subset, every) if args.subset else BUDGET
    mutants = sample(every, budget)
    if args.only:
        mutants = [m for m in every if m.id in set(args.only)]
    equivalents = {
        e["id"]: e["reason"] for e in json.loads(args.equivalents.read_text())["equivalents"]
    }
    if args.list:
        for m in mutants:
            console.print(f"{m.file}:{m.line}  {m.operator:15} {m.id}\n    {m.description}")
        console.print(f"{len(mutants)} of {len(every)} candidate mutants")
        return 0
    operators = ", ".join(
        f"{k} {v}" for k, v in sorted(Counter(m.operator for m in mutants).items())
    )
    console.print(
        f"mutation: {len(mutants)} mutants of {len(every)} candidates ({operators}); "
        f"{args.jobs} at a time"
    )
    started = time.monotonic()
    failing: list[str] | None = None
    base_seconds = 0.0
    if not args.opa_only:
        failing, base_seconds = baseline(source, args.profile, scratch)
    if failing:
        console.print(
            f"[yellow]{len(failing)} invariant test(s) fail on the unmutated policy and do not "
            "count as kills:[/yellow]"
        )
        for node in failing:
            console.print(f"  {node}")
    results: list[Result] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("mutants", total=len(mutants))
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [
                pool.submit(judge, m, source, args.profile, failing, equivalents) for m in mutants
            ]
            for future in as_completed(futures):
                r = future.result()
                results.append(r)
                style = {"killed": "green", "survived": "bold red", "invalid": "dim"}.get(
                    r.status, "yellow"
                )
                progress.console.print(
                    f"[{style}]{r.status:10}[/{style}] {r.file}:{r.line} {r.operator} "
                    f"— {r.description[:90]}"
                    + (f"  [dim]({r.killed_by})[/dim]" if r.killed_by else "")
                )
                progress.advance(task)
    results.sort(key=lambda r: (r.file, r.line, r.id))
    counts = Counter(r.status for r in results)
    counted = counts["killed"] + counts["survived"]
    score = counts["killed"] / counted if counted else 1.0
    elapsed = time.monotonic() - started

    table = Table(title="Surviving mutants", show_lines=False)
    for col in ("where", "operator", "mutation", "id"):
        table.add_column(col)
    for r in results:
        if r.status == "survived":
            table.add_row(f"{r.file}:{r.line}", r.operator, r.description, r.id)
    if counts["survived"]:
        console.print(table)
    by_operator = {
        op: dict(Counter(r.status for r in results if r.operator == op))
        for op in sorted({r.operator for r in results})
    }
    summary = {
        "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "policy_dir": _shown(args.policy_dir.resolve()),
        "profile": args.profile,
        "subset": args.subset or None,
        "candidates": len(every),
        "mutants": len(results),
        "counts": dict(counts),
        "score": round(score, 4),
        "by_operator": by_operator,
        "seconds": round(elapsed, 1),
        "baseline_seconds": round(base_seconds, 1),
        "baseline_failing_invariant_tests": failing,
        "jobs": args.jobs,
        "results": [asdict(r) for r in results],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    where = _shown(args.out.resolve())
    console.print(
        f"mutation score {score:.1%}: {counts['killed']} killed, {counts['survived']} survived, "
        f"{counts['equivalent']} equivalent, {counts['invalid']} invalid "
        f"({elapsed:.0f} s; results in {where})"
    )
    stale = sorted(set(equivalents) & {r.id for r in results if r.status == "killed"})
    for mutant_id in stale:
        console.print(f"[yellow]listed as equivalent but killed (remove it):[/yellow] {mutant_id}")
    for mutant_id in sorted(set(equivalents) - {m.id for m in every}):
        console.print(f"[yellow]listed as equivalent, no longer a mutant:[/yellow] {mutant_id}")
    unexplained = [r for r in results if r.status == "survived"]
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
