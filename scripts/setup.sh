#!/usr/bin/env bash
# Install everything the clinic needs into .venv and node_modules; quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

lock="node_modules/.installed-$(sha1sum package-lock.json | cut -c1-12)"
if [ ! -f "$lock" ] && ! command -v npm >/dev/null 2>&1; then
  # Said first, before minutes of pip: the pages' libraries come from the npm registry.
  echo "setup: npm is missing: install Node.js with npm (Debian/Ubuntu: sudo apt-get install" \
    "nodejs npm; elsewhere https://nodejs.org) and run this again" >&2
  exit 1
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e ".[dev]"
  rm -f .venv/.installed-* && touch "$stamp"
fi
if [ ! -f "$lock" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch "$lock"
fi
