#!/usr/bin/env bash
# Times the query stage alone, query by query, at the real size: the data are
# ingested once, then each round removes the query cache and builds again, so
# every query runs cold while ingest is skipped (inputs unchanged).
#   scripts/bench-queries.sh BINARY [ROUNDS] [WORK_DIR] [ROOT...]
# Uses the data set of scripts/bench.sh (WORK_DIR/data, generated when
# missing). Each ROOT (default: this checkout) is a site built in its turn in
# every round, so two sites' query stages compare in the same minutes.
# Prints, per root, the query stage's median and range, and each query's
# median time in ms (from the build's debug log), slowest first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || [ ! -x "$1" ]; then
  echo "usage: scripts/bench-queries.sh BINARY [ROUNDS] [WORK_DIR] [ROOT...]" >&2
  exit 2
fi
bin="$(realpath "$1")"
rounds="${2:-5}"
work="${3:-target/bench}"
shift $(( $# < 3 ? $# : 3 ))
roots=("$@")
[ ${#roots[@]} -gt 0 ] || roots=(.)
data="$work/data"
mkdir -p "$work"
work="$(realpath "$work")"
if [ ! -f "$data/RAW_recipes.csv" ]; then
  "$bin" -q sample --out "$data" --recipes 231637 --interactions 1132367
fi
for i in "${!roots[@]}"; do
  root="$(realpath "${roots[$i]}")"
  db="$work/q$i.duckdb"
  "$bin" -q build --root "$root" --data "$(realpath "$data")" --db "$db" --out "$work/q$i-public"
  : > "$work/q$i.log"
done
for run in $(seq "$rounds"); do
  for i in "${!roots[@]}"; do
    root="$(realpath "${roots[$i]}")"
    rm -f "$work/q$i.queries.bin"
    "$bin" -v --log-format json build --root "$root" --data "$(realpath "$data")" \
      --db "$work/q$i.duckdb" --out "$work/q$i-public" 2>>"$work/q$i.log" >/dev/null
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["stages"]["query"])' \
      "$work/q$i-public/status.json" >> "$work/q$i.stage"
  done
done
for i in "${!roots[@]}"; do
  echo "== ${roots[$i]}"
  python3 - "$work/q$i.log" "$work/q$i.stage" "$rounds" <<'PY'
import json, statistics, sys
log, stage, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
stages = [float(l) for l in open(stage).read().split()][-rounds:]
print(f"query stage: median {statistics.median(stages):.3f} s "
      f"({min(stages):.3f}-{max(stages):.3f}, {len(stages)} runs)")
times = {}
for line in open(log):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    f = e.get("fields", e)
    name = f.get("query") or f.get("model")
    if name is not None and "ms" in f:
        times.setdefault(("model " if "model" in f else "") + name, []).append(int(f["ms"]))
for name, ms in sorted(times.items(), key=lambda kv: -statistics.median(kv[1])):
    print(f"{statistics.median(ms):7.0f} ms  {name}")
PY
  rm -f "$work/q$i.stage"
done
