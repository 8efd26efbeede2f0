#!/usr/bin/env bash
# The main job: set up when needed, load the two illustrative plans when the database is empty,
# then serve the dashboard at http://127.0.0.1:8050 (Ctrl+C to stop). Extra arguments go to
# `socplan serve` (for example --host 0.0.0.0 --port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/socplan demo --if-empty
exec .venv/bin/socplan serve "$@"
