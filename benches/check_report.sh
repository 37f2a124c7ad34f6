#!/usr/bin/env bash
# Opens a gmp-bench report.html in headless Chromium (Debian: apt-get install chromium) and
# checks that every chart rendered: the page as the browser built it has one <svg> with drawn
# content (rect/path/text elements) per table (<h2>). Optionally saves a screenshot.
#
# usage: benches/check_report.sh [path/to/report.html] [screenshot.png]
#   default report: the newest target/gmp-bench/*/report.html
set -euo pipefail
cd "$(dirname "$0")/.."
report=${1:-$(ls -td target/gmp-bench/*/report.html 2>/dev/null | head -1 || true)}
shot=${2:-}
if [ -z "$report" ] || [ ! -f "$report" ]; then
    echo "no report.html: run cargo run --release -p gmp-bench first (or pass its path)" >&2
    exit 2
fi
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
    echo "SKIPPED: no chromium on PATH (Debian/Ubuntu: apt-get install chromium)" >&2
    exit 0
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --user-data-dir="$profile" --window-size=1280,2000)
url="file://$(realpath "$report")"
dom=$("$browser" "${flags[@]}" --dump-dom "$url" 2>/dev/null)
# Count tables (<h2>) and charts with drawn content (an <svg> holding rect/path/text/circle).
read -r tables charts < <(python3 -c '
import re, sys
dom = sys.stdin.read()
svgs = re.findall(r"<svg\b.*?</svg>", dom, re.S)
drawn = [s for s in svgs if re.search(r"<(rect|path|polyline|circle|text)\b", s)]
print(dom.count("<h2>"), len(drawn))
' <<<"$dom")
echo "$report: $tables tables, $charts rendered charts"
if [ "$tables" -eq 0 ] || [ "$charts" -lt "$tables" ]; then
    echo "FAILED: a table without a rendered chart" >&2
    exit 1
fi
if [ -n "$shot" ]; then
    "$browser" "${flags[@]}" --screenshot="$(realpath -m "$shot")" "$url" 2>/dev/null
    echo "screenshot: $shot"
fi
echo "report ok"
