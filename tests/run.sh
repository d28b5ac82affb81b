#!/usr/bin/env bash
# Runs every test binary of each build directory given (and every tests/test_*.sh
# once), from the repository root, and closes with the line
# "N passed, N failed" summed over all of them. Exit status 1 if any failed.
set -u
cd "$(dirname "$0")/.."
passed=0; failed=0; failures=""
for build in "$@"; do
  for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    name="$build/$(basename "$t")"
    out=$("$t" 2>&1); rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    f=$(printf '%s\n' "$out" | sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # a crash or sanitizer report
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$f" -ne 0 ]; then
      failures="$failures $name"
      printf '%s\n' "$out" | tail -n 40
    fi
    printf '%-40s %4d passed, %d failed\n' "$name" "$p" "$f"
  done
done
for s in tests/test_*.sh; do
  [ -x "$s" ] || continue
  if out=$(BUILD="${1:-build}" "$s" 2>&1); then
    passed=$((passed + 1)); printf '%-40s    1 passed\n' "$s"
    printf '%s\n' "$out" | grep -E '^(SKIP|NOTE)' || true
  else
    failed=$((failed + 1)); failures="$failures $s"
    printf '%s\n' "$out" | tail -n 40
    printf '%-40s    0 passed, 1 failed\n' "$s"
  fi
done
[ -z "$failures" ] || echo "failing:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
