#!/usr/bin/env bash
# Runs every fuzz target for a fixed budget from the committed seeds (fuzz/seeds), with
# cargo-fuzz on the nightly toolchain: the KQL parser and compiler (seeds/kql) and the
# parsers of crates/formats, each from seeds/<target> (cef_line, zeek_header, winevent_xml,
# hunt_file). A crash stops the script and leaves its input in
# fuzz/artifacts/<target>/; turn it into a regression test.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
budget="${1:-60}"
# Its own build: the fuzzing flags must not touch quarry's shared release build.
export CARGO_TARGET_DIR="$PWD/target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in kql_parse kql_compile cef_line zeek_header winevent_xml hunt_file; do
  case "$target" in
    kql_*) seeds=seeds/kql ;;
    *) seeds="seeds/$target" ;;
  esac
  mkdir -p "$work/$target"
  # New inputs go to the scratch corpus; the seeds stay as committed.
  cargo +nightly fuzz run "$target" "$work/$target" "$seeds" -- \
    -max_total_time="$budget" -max_len=4096 -timeout=10 2>&1 |
    grep -E "^#[0-9]+ *DONE|Done [0-9]+ runs|ERROR|panicked|SUMMARY" || true
  # A crash, hang (timeout), memory blow-up (oom) or leak each leave an input behind.
  found=$(find artifacts/"$target" -maxdepth 1 \( -name 'crash-*' -o -name 'oom-*' \
    -o -name 'timeout-*' -o -name 'leak-*' \) 2>/dev/null | head -n 1)
  if [ -n "$found" ]; then
    echo "fuzz: $target crashed; inputs in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  echo "fuzz: $target ran ${budget}s without a crash"
done
