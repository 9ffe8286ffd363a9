#!/usr/bin/env bash
# The browser tests (tests/browser/) drive Debian's Chromium through Playwright, by its
# executable path; Playwright's own browser downloads are never used. This installs
# Debian's chromium package when /usr/bin/chromium is missing (CI runs as root, as
# scripts/ci-postgres.sh does for PostgreSQL). Called by `make setup`.
set -euo pipefail

CHROMIUM="${GATEWAY_TEST_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  # `make run` does not need a browser; the browser tests fail with the same advice.
  echo "ensure-chromium: $CHROMIUM is missing; the browser tests need Debian's" \
       "chromium package (apt-get install chromium, as root)" >&2
  exit 0
fi
echo "ensure-chromium: installing Debian's chromium package" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
"$CHROMIUM" --version >&2
