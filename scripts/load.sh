#!/usr/bin/env bash
# The load figure: nginx with docker/nginx.conf serving the bundled sample's
# site on 127.0.0.1, and wrk asking for the overview page (and the same page
# precompressed). Bounded: 10 seconds per run, loopback only; nginx is
# stopped at the end.
#   scripts/load.sh [WORK_DIR]            (default: target/load)
# Needs nginx and wrk (Debian packages `nginx`, `wrk`).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mangetamain-target}"
work="$(mkdir -p "${1:-target/load}" && cd "${1:-target/load}" && pwd)"
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
[ -x "$nginx_bin" ] || { echo "needs nginx (apt-get install nginx)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q
"$CARGO_TARGET_DIR/release/mangetamain" -q build --out "$work/site/public" --db "$work/site.duckdb"

port="${PORT:-18080}"
mkdir -p "$work/nginx/snippets"
cp docker/snippets/mangetamain-headers.conf "$work/nginx/snippets/"
sed -e "s#/tmp/#$work/nginx/#g" \
    -e "s#listen 8080;#listen 127.0.0.1:$port;#" \
    -e "s#/srv/site/public#$work/site/public#" \
    -e "s#/srv/archive/#$work/archive/#" \
    -e "s#/etc/nginx/snippets/#$work/nginx/snippets/#g" \
    -e "s#access_log /dev/stdout;#access_log off;#" \
    -e "s#worker_processes auto;#worker_processes ${WORKERS:-auto};#" \
    docker/nginx.conf > "$work/nginx/nginx.conf"
chmod -R a+rX "$work"
"$nginx_bin" -e stderr -p "$work/nginx" -c "$work/nginx/nginx.conf" -t -q
"$nginx_bin" -e stderr -p "$work/nginx" -c "$work/nginx/nginx.conf"
trap 'kill -TERM "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true' EXIT
sleep 0.5

echo "machine: $(nproc) cores, $(uname -m), nginx $("$nginx_bin" -v 2>&1 | sed 's#.*/##'), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "page: / ($(wc -c < "$work/site/public/index.html") bytes, $(wc -c < "$work/site/public/index.html.gz") gzipped)"
for enc in identity gzip; do
  echo "== GET / with Accept-Encoding: $enc, 2 threads, 50 connections, 10 s"
  wrk -t2 -c50 -d10s --latency -H "Accept-Encoding: $enc" "http://127.0.0.1:$port/" \
    | grep -E "Requests/sec|Transfer/sec|^ +(50|90|99)%|Non-2xx|Socket errors"
done
