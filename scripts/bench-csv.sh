#!/usr/bin/env bash
# A generic CSV source against DuckDB itself: a 300,000-row, 30 MB CSV
# (flights-like, `NA` for missing values) read by `mangetamain build` into
# its database (one source, one query), and by Python's `duckdb` doing the
# same read_csv into a database file, round after round.
#   scripts/bench-csv.sh [ROUNDS] [WORK_DIR]      (default: 5, target/bench-csv)
# Needs python3 with the `duckdb` package (pip install duckdb) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mangetamain-target}"
rounds="${1:-5}"
work="${2:-target/bench-csv}"
mkdir -p "$work/site/content" "$work/site/data"
cargo build --release -q
bin="$CARGO_TARGET_DIR/release/mangetamain"
csv="$work/site/data/flights.csv"
if [ ! -f "$csv" ]; then
  python3 - "$csv" <<'PY'
import csv, random, sys
random.seed(2013)
carriers = ["UA", "AA", "B6", "DL", "EV", "MQ", "US", "WN", "VX", "FL"]
airports = ["EWR", "LGA", "JFK", "ATL", "ORD", "LAX", "SFO", "BOS", "MIA", "DFW", "DEN", "SEA"]
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["year", "month", "day", "dep_time", "dep_delay", "arr_delay", "carrier", "flight",
                "origin", "dest", "air_time", "distance", "time_hour", "tailnum"])
    for i in range(300_000):
        m, d, h = 1 + i % 12, 1 + i % 28, 5 + i % 18
        delay = "NA" if i % 37 == 0 else random.randint(-20, 300)
        arr = "NA" if i % 41 == 0 else random.randint(-40, 320)
        w.writerow([2013, m, d, h * 100 + i % 60, delay, arr, carriers[i % 10], 1 + i % 4000,
                    airports[i % 3], airports[3 + i % 9], random.randint(20, 600), random.randint(80, 4980),
                    f"2013-{m:02d}-{d:02d} {h:02d}:00:00", f"N{i % 9000:04d}{carriers[i % 10]}"])
PY
fi
du -h "$csv" | sed 's/^/input: /'
cat > "$work/site/content/site.toml" <<'TOML'
title = "Flights"
data_dir = "data"
[sources.flights]
path = "flights.csv"
options = { nullstr = "NA" }
TOML
cat > "$work/site/content/index.md" <<'MD'
+++
title = "Flights"
+++

```sql per_carrier
select carrier, count(*) as n, avg(dep_delay) as mean_delay from flights group by carrier order by carrier
```

{{ per_carrier.n | int }} flights of {{ per_carrier.carrier }}.
MD
measure() { # label, command...
  local label="$1"; shift
  /usr/bin/time -f "%e %U %S %M" "$@" >/dev/null 2>"$work/time.txt" || { cat "$work/time.txt"; exit 1; }
  tail -1 "$work/time.txt" | awk -v l="$label" '{printf "%-24s %5.2f s wall, %5.2f s CPU, %4d MB\n", l, $1, $2 + $3, $4 / 1024}'
}
for run in $(seq "$rounds"); do
  echo "round $run"
  rm -rf "$work/site/data/mangetamain.duckdb" "$work/site/data/mangetamain.queries.bin" "$work/ref.duckdb"
  measure "mangetamain build" "$bin" -q build --root "$work/site"
  measure "python duckdb read_csv" python3 -c '
import duckdb, sys
con = duckdb.connect(sys.argv[2], config={"threads": 2, "memory_limit": "512MB"})
con.execute("create table flights as select * from read_csv(?, nullstr = ?)", [sys.argv[1], "NA"])
con.execute("select carrier, count(*), avg(dep_delay) from flights group by carrier order by carrier").fetchall()
con.close()
' "$csv" "$work/ref.duckdb"
done
