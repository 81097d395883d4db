#!/usr/bin/env bash
# Compares cold builds (no database, no kept results, no published site) of
# two mangetamain binaries run back to back, with the
# reference (scripts/reference.py) right after them, round after round: on a
# machine whose speed drifts, only runs this close together compare.
#   scripts/bench-ab.sh OLD_BINARY NEW_BINARY [ROUNDS] [WORK_DIR]
# Uses the data set of scripts/bench.sh (WORK_DIR/data, generated when
# missing). Prints wall time, CPU time (user + system) and peak memory.
# Each binary builds the site of this checkout; OLD_ROOT=DIR gives the old
# binary a site of its own (the checkout it was built from, when the
# content's format changed between the two).
# Needs python3 with the `duckdb` and `scikit-learn` packages and GNU time
# (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
script=bench-ab.sh default_rounds=3 label_width=10
. scripts/bench-two.sh
old_root="$(realpath "${OLD_ROOT:-.}")"
new_root="$(realpath .)"
for run in $(seq "$rounds"); do
  echo "round $run"
  for label in old new; do
    # by side, not by binary: one binary may build two sites (OLD_ROOT)
    if [ "$label" = old ]; then bin="$old" root="$old_root"; else bin="$new" root="$new_root"; fi
    # cold: no database, no kept results, no published site to share files with
    rm -f "$work/ab.duckdb" "$work/ab.queries.json" "$work/ab.queries.bin" "$work/.ab-public.made"
    rm -rf "$work/ab-public" "$work/.ab-public.editions"
    measure "$label" "$bin" -q build --root "$root" --data "$data" --out "$work/ab-public" --db "$work/ab.duckdb"
  done
  measure reference python3 scripts/reference.py "$data" "$work/reference.duckdb"
done
