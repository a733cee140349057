#!/usr/bin/env bash
# Runs every fuzz target for a fixed budget from the committed seeds (fuzz/seeds), with
# cargo-fuzz on the nightly toolchain. A crash stops the script and leaves its input in
# fuzz/artifacts/<target>/; turn it into a regression test.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
budget="${1:-60}"
# Its own build: the fuzzing flags must not touch quarry's shared release build.
export CARGO_TARGET_DIR="$PWD/target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in kql_parse kql_compile; do
  mkdir -p "$work/$target"
  # New inputs go to the scratch corpus; the seeds stay as committed.
  cargo +nightly fuzz run "$target" "$work/$target" seeds/kql -- \
    -max_total_time="$budget" -max_len=4096 -timeout=10 2>&1 |
    grep -E "^#[0-9]+ *DONE|Done [0-9]+ runs|ERROR|panicked|SUMMARY" || true
  if ls artifacts/"$target"/crash-* >/dev/null 2>&1; then
    echo "fuzz: $target crashed; inputs in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  echo "fuzz: $target ran ${budget}s without a crash"
done
