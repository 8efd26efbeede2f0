#!/usr/bin/env bash
# The main job: set up when needed, load the illustrative sample plan into the database when it
# is empty, then print its summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/socplan demo --if-empty
.venv/bin/socplan summary
