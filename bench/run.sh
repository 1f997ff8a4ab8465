#!/usr/bin/env bash
# Makes bench/.venv (the product plus the peer, FastMCP), then runs the benchmarks.
# Usage: bash bench/run.sh [bench/run.py options, e.g. --no-peer --calls 100]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x bench/.venv/bin/python ]; then
    python3 -m venv bench/.venv
fi
bench/.venv/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
exec bench/.venv/bin/python bench/run.py "$@"
