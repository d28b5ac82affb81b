#!/usr/bin/env bash
# Runs every test binary of each build directory given (and every tests/test_*.sh
# once, with BUILD set to the first), from the repository root, and closes with
# the line "N passed, N failed, N skipped" summed over all of them.
#
# Skips: cmocka's "[  SKIPPED ] N test(s)" and a shell test's exit status 77
# (tests/lib.sh's skip) count as skipped, never as passed. Under CI=true, where
# scripts/setup.sh has installed every prerequisite, a skip counts as failed.
# Exit status 1 if any failed.
set -u
cd "$(dirname "$0")/.."
passed=0; failed=0; skipped=0; failures=""
ci=0; [ "${CI:-}" = true ] && ci=1

# count LABEL OUTPUT: the sum of cmocka's "[  LABEL  ] N test(s)" lines.
count() {
  printf '%s\n' "$2" | sed -n "s/.*\[  $1 *\] \([0-9]*\) test.*/\1/p" | awk '{s+=$1} END {print s+0}'
}

for build in "$@"; do
  for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    name="$build/$(basename "$t")"
    out=$("$t" 2>&1); rc=$?
    p=$(count PASSED "$out"); f=$(count FAILED "$out"); s=$(count SKIPPED "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # a crash or sanitizer report
    if [ "$ci" = 1 ] && [ "$s" -ne 0 ]; then f=$((f + s)); s=0; fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if [ "$f" -ne 0 ]; then
      failures="$failures $name"
      printf '%s\n' "$out" | tail -n 40
    fi
    printf '%-40s %4d passed, %d failed, %d skipped\n' "$name" "$p" "$f" "$s"
    [ "$s" -eq 0 ] || printf '%s\n' "$out" | grep -E '^SKIP' || true
  done
done
for sh in tests/test_*.sh; do
  [ -x "$sh" ] || continue
  out=$(BUILD="${1:-build}" "$sh" 2>&1); rc=$?
  if [ "$rc" -eq 77 ] && [ "$ci" = 1 ]; then rc=1; fi
  case "$rc" in
  0)  passed=$((passed + 1)); printf '%-40s    1 passed\n' "$sh"
      printf '%s\n' "$out" | grep -E '^NOTE' || true ;;
  77) skipped=$((skipped + 1)); printf '%-40s    1 skipped\n' "$sh"
      printf '%s\n' "$out" | grep -E '^SKIP' || true ;;
  *)  failed=$((failed + 1)); failures="$failures $sh"
      printf '%s\n' "$out" | tail -n 40
      printf '%-40s    0 passed, 1 failed\n' "$sh" ;;
  esac
done
[ -z "$failures" ] || echo "failing:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
