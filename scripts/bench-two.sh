# Sourced by the scripts that compare two binaries (bench-ab.sh,
# bench-rebuild.sh): reads their arguments, OLD_BINARY NEW_BINARY [ROUNDS]
# [WORK_DIR], into `old`, `new`, `rounds` (default `$default_rounds`),
# `work` and `data` (WORK_DIR/data, the data set of scripts/bench.sh,
# generated when missing), and defines `measure LABEL COMMAND...`, which
# prints the command's wall time, CPU time (user + system) and peak memory.
if [ $# -lt 2 ]; then
  echo "usage: scripts/$script OLD_BINARY NEW_BINARY [ROUNDS] [WORK_DIR]" >&2
  exit 2
fi
for bin in "$1" "$2"; do
  [ -x "$bin" ] || { echo "$script: \`$bin\` is not an executable file" >&2; exit 2; }
done
old="$(realpath "$1")"
new="$(realpath "$2")"
rounds="${3:-$default_rounds}"
work="${4:-target/bench}"
data="$work/data"
mkdir -p "$work"
if [ ! -f "$data/RAW_recipes.csv" ]; then
  "$new" -q sample --out "$data" --recipes 231637 --interactions 1132367
fi
measure() { # label, command...
  local label="$1"; shift
  /usr/bin/time -f "%e %U %S %M" "$@" >/dev/null 2>"$work/time.txt" || { cat "$work/time.txt"; exit 1; }
  tail -1 "$work/time.txt" | awk -v l="$label" -v w="$label_width" \
    '{printf "%-*s %5.2f s wall, %5.2f s CPU, %4d MB\n", w, l, $1, $2 + $3, $4 / 1024}'
}
