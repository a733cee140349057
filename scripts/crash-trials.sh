#!/usr/bin/env bash
# Kills a large `quarry load` with SIGKILL at 20 spread-out moments (each from the same
# starting case) and checks after each that the case opens and holds exactly what it held
# before the file, or the whole file; then that the load completes. CI runs 5 trials.
# Usage: scripts/crash-trials.sh [TRIALS]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/quarry-target}"
QUARRY_KILL_TRIALS="${1:-20}" cargo test --release --test load_crash_safety -- --nocapture 2>&1 |
  grep -E "^trial|trials:|test result"
