#!/usr/bin/env bash
# Line coverage of the library with cargo-tarpaulin (LLVM engine: no extra
# toolchain component), printed as a total at the end.
#   scripts/coverage.sh [extra tarpaulin options]
# Installs cargo-tarpaulin when missing. Builds in its own target directory
# (instrumented code cannot share the normal one), so the first run compiles
# DuckDB again: about half an hour on two cores; later runs take about two
# minutes. Two tests are left out: the browser tests (they measure the site,
# not the library, and need Chromium) and the kill -9 loop (a process killed
# while writing its coverage data leaves a truncated file that the report
# cannot merge).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo tarpaulin --version >/dev/null 2>&1; then
  echo "installing cargo-tarpaulin"
  cargo install cargo-tarpaulin --locked --version 0.37.5
fi
target="${COVERAGE_TARGET_DIR:-$HOME/.cache/mangetamain-coverage}"
mkdir -p "$target"
cargo tarpaulin --release --engine llvm --follow-exec --skip-clean \
  --target-dir "$target" \
  --exclude-files 'src/main.rs' 'build.rs' 'tests/*' \
  --timeout 1200 --out Stdout --out Json --output-dir "$target/report" \
  "$@" -- --skip browser:: --skip a_build_killed_at_any_moment 2>&1 | tee "$target/coverage.log"
grep -E '^[0-9.]+% coverage' "$target/coverage.log" | tail -1
