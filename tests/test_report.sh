#!/usr/bin/env bash
# test_report.sh: the training report's SVG checked by an independent XML
# parser: test_report writes the SVG of tests/data/report_log.csv (and of its
# escaping test) to RNNLM_REPORT_OUT, and xmllint must find both well formed,
# with no external references and the panels and curves expected.
#
# usage: BUILD=build tests/test_report.sh   (run make tests first)
# Skips (tests/lib.sh: exit 77; a failure under CI=true) when xmllint is
# missing (apt-get install libxml2-utils).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
BUILD=${1:-${BUILD:-build}}

if ! command -v xmllint >/dev/null 2>&1; then
  skip "xmllint not found (apt-get install libxml2-utils)"
fi
BIN="$BUILD/tests/test_report"
if [ ! -x "$BIN" ]; then
  echo "test_report.sh: $BIN not built (make tests BUILD=$BUILD)" >&2; exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_report_sh.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
svg="$tmp/report.svg"

RNNLM_REPORT_OUT="$svg" "$BIN" >"$tmp/run.log" 2>&1 || {
  cat "$tmp/run.log" >&2; echo "test_report.sh: $BIN failed" >&2; exit 1; }
for f in "$svg" "$svg.escape.svg"; do
  [ -s "$f" ] || { echo "test_report.sh: $f was not written" >&2; exit 1; }
  xmllint --noout --nonet "$f"
done

fail=0
# count(XPATH) in the SVG namespace
count() { xmllint --xpath "count($1)" "$svg" 2>/dev/null; }
S='*[local-name()="svg"]'
expect() {  # expect WHAT XPATH N
  local got; got=$(count "$2")
  if [ "$got" != "$3" ]; then echo "test_report.sh: $1: $got, expected $3" >&2; fail=1; fi
}
expect "root element" "/$S" 1
expect "panels" "//*[@class='panel']" 6
expect "external references" "//@*[local-name()='href']" 0
expect "validation perplexity curve" "//*[@class='panel' and @data-metric='perplexity']/*/*[local-name()='polyline' and @data-run='validation' and @data-tag='epoch_perplexity' and @data-n='5']" 1
expect "validation perplexity markers" "//*[@class='panel' and @data-metric='perplexity']//*[@class='markers'][2]/*[local-name()='circle']" 5
expect "log scale of perplexity" "//*[@class='panel' and @data-metric='perplexity' and @data-scale='log']" 1
expect "x axis labels" "//*[local-name()='text' and @class='axis' and .='epoch']" 6
title=$(xmllint --xpath "string(//*[local-name()='title'])" "$svg")
[ "$title" = "rnnlm training report" ] || { echo "test_report.sh: title \"$title\"" >&2; fail=1; }
# the escaping test's run name survives the round trip through a real parser
run=$(xmllint --xpath "string(//*[local-name()='polyline' and @data-tag='epoch_x>y']/@data-run)" "$svg.escape.svg")
[ "$run" = "a<b&\"c'd?"$'\xef\xbf\xbd' ] || { echo "test_report.sh: escaped run read back as \"$run\"" >&2; fail=1; }

if [ "$fail" -ne 0 ]; then echo "test_report.sh: FAILED" >&2; exit 1; fi
echo "test_report.sh: OK ($(stat -c %s "$svg") bytes, well formed)"
