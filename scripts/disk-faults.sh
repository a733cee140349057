#!/usr/bin/env bash
# A full disk and a read-only case, on small tmpfs mounts (needs root, or CAP_SYS_ADMIN):
# each must give a clear error and leave the case as it was.
# Usage: scripts/disk-faults.sh [path/to/quarry]
set -euo pipefail
cd "$(dirname "$0")/.."
quarry="${1:-${CARGO_TARGET_DIR:-$HOME/.cache/quarry-target}/release/quarry}"
work=$(mktemp -d)
trap 'umount "$work/full" "$work/ro" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/full" "$work/ro"
python3 - "$work/conn.log" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\n"
            "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n")
    for i in range(300000):
        f.write(f"{1762000000 + i * 0.01:.6f}\tC{i:x}\t10.0.{i % 250}.{i % 200}\t{1024 + i % 60000}\t8.8.{i % 256}.8\t53\tudp\tSF\n")
PY
small=tests/fixtures/ingest/single/DnsEvents.tsv

echo "== full disk: a 3 MB file system, a 20 MB log"
mount -t tmpfs -o size=3m tmpfs "$work/full"
"$quarry" --db "$work/full/case.duckdb" load "$small" >/dev/null
before=$("$quarry" --db "$work/full/case.duckdb" sql "SELECT count(*) FROM DnsEvents" --format csv | tail -1)
if "$quarry" --db "$work/full/case.duckdb" load "$work/conn.log" 2>"$work/err"; then
  echo "FAIL: the load into a full disk succeeded"; exit 1
fi
echo "   error: $(head -1 "$work/err")"
after=$("$quarry" --db "$work/full/case.duckdb" sql "SELECT count(*) FROM DnsEvents" --format csv | tail -1)
[ "$before" = "$after" ] || { echo "FAIL: the case changed ($before -> $after)"; exit 1; }
echo "   the case opens and holds what it held ($after DnsEvents rows)"

echo "== read-only case"
mount -t tmpfs -o size=20m tmpfs "$work/ro"
"$quarry" --db "$work/ro/case.duckdb" load "$small" >/dev/null
mount -o remount,ro "$work/ro"
if "$quarry" --db "$work/ro/case.duckdb" sql "SELECT 1" 2>"$work/err"; then
  echo "FAIL: a read-only case opened for writing"; exit 1
fi
echo "   error: $(head -1 "$work/err")"
grep -q "read-only file system" "$work/err" || { echo "FAIL: unclear error"; exit 1; }
echo "disk faults: 2 passed"
