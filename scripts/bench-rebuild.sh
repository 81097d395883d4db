#!/usr/bin/env bash
# Compares the rebuilds of two mangetamain binaries with the data unchanged,
# round after round: a rebuild with nothing changed at all, and one after a
# page was edited (the prose of content/about.md).
#   scripts/bench-rebuild.sh OLD_BINARY NEW_BINARY [ROUNDS] [WORK_DIR]
# Uses the data set of scripts/bench.sh (WORK_DIR/data, generated when
# missing). Each binary builds a copy of the site of this checkout (OLD_ROOT=DIR:
# the old side builds a copy of DIR instead), once cold before the rounds.
# Prints wall time, CPU time (user + system) and peak memory. Needs GNU time
# (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
script=bench-rebuild.sh default_rounds=5 label_width=14
. scripts/bench-two.sh
build() { # label, side: a build of that side's site, measured
  local label="$1" side="$2"
  local bin="$new"
  [ "$side" = old ] && bin="$old"
  measure "$label" "$bin" -q build --root "$work/rb-$side/site" --data "$data" --out "$work/rb-$side/public" \
    --db "$work/rb-$side/db.duckdb"
}
for side in old new; do
  root="$(realpath .)"
  [ "$side" = old ] && root="$(realpath "${OLD_ROOT:-.}")"
  rm -rf "$work/rb-$side"
  mkdir -p "$work/rb-$side/site"
  cp -r "$root/content" "$work/rb-$side/site/"
  [ -d "$root/templates" ] && cp -r "$root/templates" "$work/rb-$side/site/"
  build "$side cold" "$side"
done
for run in $(seq "$rounds"); do
  echo "round $run"
  for side in old new; do
    build "$side unchanged" "$side"
    # a page's prose, changed every round
    echo "Edited in round $run." >> "$work/rb-$side/site/content/about.md"
    build "$side edited" "$side"
  done
done
