#!/bin/sh
# The builder's schedule: run the command once now, then every day at 03:15
# (the container's local time: UTC unless TZ says otherwise), for ever. A
# failed build is logged by the build itself; the schedule goes on.
#   nightly.sh COMMAND [ARG...]     run COMMAND on that schedule
#   nightly.sh --next EPOCH         print when the run after EPOCH (seconds since 1970) starts
# MANGETAMAIN_AT=HH:MM changes the time of day.
set -eu
at="${MANGETAMAIN_AT:-03:15}"

# the first HH:MM strictly after $1: today's when it is still to come, else tomorrow's
next_after() {
  today=$(date -d "@$1" +%F)
  t=$(date -d "$today $at" +%s)
  if [ "$t" -le "$1" ]; then
    # a day later is always tomorrow, whatever the length of today
    tomorrow=$(date -d "@$(($1 + 86400))" +%F)
    t=$(date -d "$tomorrow $at" +%s)
  fi
  echo "$t"
}

if [ "${1:-}" = "--next" ]; then
  next_after "$2"
  exit 0
fi
if [ $# -eq 0 ]; then
  echo "usage: nightly.sh COMMAND [ARG...] | nightly.sh --next EPOCH" >&2
  exit 2
fi
while true; do
  "$@" || echo "nightly.sh: \`$1\` exited with $?; next run at $at" >&2
  now=$(date +%s)
  next=$(next_after "$now")
  sleep $((next - now))
done
