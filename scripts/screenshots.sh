#!/usr/bin/env bash
# Screenshots of every page of a built site in headless Chromium, for a person
# to look at: desktop (1280 wide) and phone (390 wide), light and dark.
#   scripts/screenshots.sh [SITE_DIR] [OUT_DIR]
# Needs Debian's `chromium` (apt-get install chromium).
set -euo pipefail
site="$(realpath "${1:-public}")"
out="${2:-target/screenshots}"
mkdir -p "$out"
browser="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "$browser" ]; then
  echo "chromium not found: apt-get install chromium" >&2
  exit 1
fi
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
for page in "$site"/*.html; do
  name="$(basename "$page" .html)"
  for mode in desktop phone; do
    case $mode in
      desktop) size=1280,3600 ;;
      phone) size=390,5200 ;;
    esac
    for theme in light dark; do
      flags=()
      [ "$theme" = dark ] && flags+=(--force-dark-mode)
      "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --hide-scrollbars --force-device-scale-factor=1 \
        --window-size="$size" "${flags[@]}" \
        --screenshot="$out/$name-$mode-$theme.png" "file://$page" >/dev/null 2>&1
    done
  done
done
echo "screenshots in $out"
