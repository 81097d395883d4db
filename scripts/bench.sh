#!/usr/bin/env bash
# The ingest benchmark: a full-size Food.com-shaped data set, DuckDB's own
# read_csv + every number of the report as the reference (and the earlier,
# partial reference), then mangetamain's cold build and its rebuild with
# unchanged data, with peak memory. At the end, the reference's results are
# compared with the build's: both must publish the same numbers.
#   scripts/bench.sh [WORK_DIR]          (default: target/bench)
# Needs python3 with the `duckdb` and `scikit-learn` packages (pip install
# duckdb scikit-learn) and GNU time
# (/usr/bin/time, Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mangetamain-target}"
work="${1:-target/bench}"
mkdir -p "$work"
cargo build --release -q
bin="$CARGO_TARGET_DIR/release/mangetamain"
data="$work/data"
if [ ! -f "$data/RAW_recipes.csv" ]; then
  "$bin" -q sample --out "$data" --recipes 231637 --interactions 1132367
fi
du -ch "$data"/*.csv | tail -1 | sed 's/^/input: /'
measure() { # label, command...
  local label="$1"; shift
  /usr/bin/time -f "$label: %e s wall, %M KB peak" "$@" >/dev/null 2>"$work/time.txt" || { cat "$work/time.txt"; exit 1; }
  tail -1 "$work/time.txt"
}
for run in 1 2 3; do
  measure "reference (duckdb read_csv + every query of the report), run $run" python3 scripts/reference.py "$data" "$work/reference.duckdb"
  measure "partial reference (lists as text, 17 queries), run $run" python3 scripts/reference.py --partial "$data" "$work/reference.duckdb"
  rm -f "$work/site.duckdb" "$work/site.queries.bin"
  measure "mangetamain cold build, run $run" "$bin" -q build --data "$data" --out "$work/public" --db "$work/site.duckdb"
  measure "mangetamain rebuild, unchanged data, run $run" "$bin" -q build --data "$data" --out "$work/public" --db "$work/site.duckdb"
done
python3 scripts/reference.py "$data" "$work/reference.duckdb" --check "$work/public" | sed 's/^/reference vs build: /'
