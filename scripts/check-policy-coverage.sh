#!/usr/bin/env bash
# Fail unless `opa test --coverage` reports 100% of the policy modules covered;
# on failure, list the uncovered line ranges.
set -euo pipefail
opa="$1"
dir="$2"
"$opa" test --coverage "$dir" | python3 -c '
import json, sys
report = json.load(sys.stdin)
coverage = float(report["coverage"])
print(f"opa test --coverage: {coverage}%")
if coverage < 100:
    for name, f in sorted(report["files"].items()):
        for r in f.get("not_covered", []):
            start, end = r["start"]["row"], r["end"]["row"]
            print(f"  {name}:{start}-{end} not covered", file=sys.stderr)
    sys.exit("policy coverage is below 100%")
'
