#!/usr/bin/env bash
# Fail unless `opa test --coverage` reports 100% of the policy modules covered.
set -euo pipefail
opa="$1"
dir="$2"
coverage=$("$opa" test --coverage "$dir" | python3 -c 'import json, sys; print(json.load(sys.stdin)["coverage"])')
echo "opa test --coverage: ${coverage}%"
python3 -c "import sys; sys.exit(0 if float('$coverage') >= 100 else 1)" || {
  echo "policy coverage is below 100%" >&2
  "$opa" test --coverage "$dir" | python3 -c '
import json, sys
for name, f in json.load(sys.stdin)["files"].items():
    for r in f.get("not_covered", []):
        print(f"{name}:{r[\"start\"][\"row\"]}-{r[\"end\"][\"row\"]} not covered")
' >&2
  exit 1
}
