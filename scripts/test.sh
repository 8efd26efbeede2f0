#!/usr/bin/env bash
# Every check and test: set up when needed, then lint, type-check and run the whole test suite
# (unit, integration and browser tests). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src dashboard tests bench scripts
.venv/bin/ruff format --check src dashboard tests bench scripts
.venv/bin/mypy src dashboard
.venv/bin/python -m pytest "$@"
