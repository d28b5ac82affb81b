#!/usr/bin/env bash
# Runs every libFuzzer harness of a fuzz build directory, one after the other:
#
#   fuzz/run.sh BUILD seconds N   each harness N seconds (make fuzz FUZZ_SECONDS=N);
#                                 the corpus it grows is kept in BUILD/corpus/<name>/
#   fuzz/run.sh BUILD runs N      each harness N executions, from the seeds alone,
#                                 random seed fixed (the smoke run of make test;
#                                 nothing is kept)
#
# Inputs start from fuzz/seeds/<name>/ (never written to) with fuzz/<name>.dict.
# A crash, leak, timeout or out-of-memory input is saved in fuzz/artifacts/
# (ignored by git) and makes the exit status 1. One line per harness closes
# the output: executions and edge coverage ("cov:" of libFuzzer's last status).
set -u
cd "$(dirname "$0")/.."
build=${1:?usage: fuzz/run.sh BUILD seconds|runs N}
mode=${2:?usage: fuzz/run.sh BUILD seconds|runs N}
n=${3:?usage: fuzz/run.sh BUILD seconds|runs N}
case "$mode" in
  seconds) limit=(-max_total_time="$n") ;;
  runs) limit=(-runs="$n" -seed=1) ;;   # the same inputs every time
  *) echo "fuzz/run.sh: mode is seconds or runs, not '$mode'" >&2; exit 2 ;;
esac
names="checkpoint vocab corpus csvlog opts"
export OPENBLAS_NUM_THREADS=1
mkdir -p fuzz/artifacts
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
for name in $names; do
  bin="$build/fuzz/fuzz_$name"
  [ -x "$bin" ] || { echo "fuzz/run.sh: $bin is missing (make fuzz-build)" >&2; exit 2; }
  if [ "$mode" = seconds ]; then corpus="$build/corpus/$name"; else corpus="$tmp/$name"; fi
  mkdir -p "$corpus"
  log="$tmp/$name.log"
  # -rss_limit_mb also caps a single allocation (malloc_limit_mb defaults to it);
  # -timeout: seconds one input may take under the sanitizers.
  "$bin" "${limit[@]}" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 -max_len=16384 \
    -dict="fuzz/$name.dict" -artifact_prefix="fuzz/artifacts/$name-" \
    "$corpus" "fuzz/seeds/$name" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  if [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
    failed=1
    tail -n 60 "$log"
    line=$(printf 'fuzz_%-11s FAILED (exit %d), %s executions, cov %s; input in fuzz/artifacts/' \
      "$name" "$rc" "${execs:-?}" "${cov:-?}")
  else
    line=$(printf 'fuzz_%-11s ok, %s executions, cov %s edges' "$name" "${execs:-?}" "${cov:-?}")
  fi
  echo "$line"
done
exit "$failed"
