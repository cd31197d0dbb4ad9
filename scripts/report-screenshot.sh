#!/usr/bin/env bash
# docs/report.png, the README's picture of `relc report`: the example fleet's HTML report (fixed --today, so the
# picture changes only when the report does), photographed by Debian's headless chromium with a new empty profile.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/relc ] || make install
DIR=$(mktemp -d /tmp/relc-screenshot-XXXXXX)
trap 'rm -rf "$DIR"' EXIT
.venv/bin/relc report --today 2026-11-22 --out "$DIR/site" >/dev/null
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$DIR/profile" --hide-scrollbars \
  --window-size=1440,900 --screenshot="$DIR/report.png" "file://$DIR/site/index.html" 2>/dev/null
cp "$DIR/report.png" docs/report.png
echo "wrote docs/report.png"
