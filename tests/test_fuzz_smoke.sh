#!/usr/bin/env bash
# test_fuzz_smoke.sh: a short run of every libFuzzer harness (fuzz/): 4,000
# executions each from the committed seeds, under address+undefined
# sanitizers and leak checking; any crash, leak, timeout or out-of-memory
# input fails it (the input is kept in fuzz/artifacts/). First it checks that
# every seed is an input its reader accepts (through the rnnlm program), so
# the fuzzing starts from inputs that reach past the readers' first checks.
# Builds the harnesses (make fuzz-build, into build-fuzz/) when missing.
# Skips (exit 77, tests/lib.sh; a failure under CI=true) when clang is
# missing (scripts/setup.sh installs it).
# Env: BUILD, the build directory holding rnnlm (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
R=${BUILD:-build}/rnnlm
FB=build-fuzz
command -v clang >/dev/null || skip "test_fuzz_smoke: clang not found (apt-get install clang libclang-rt-dev)"
dir=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_fuzz.XXXXXX"); trap 'rm -rf "$dir"' EXIT

for f in fuzz/seeds/checkpoint/*; do
  echo "Mary had a little lamb ." | "$R" score "$f" - --threads 1 > /dev/null \
    || { echo "seed $f is not a loadable checkpoint"; exit 1; }
done
for f in fuzz/seeds/vocab/*; do
  "$R" data --corpus toy --vocab "$f" --show 0 > /dev/null \
    || { echo "seed $f is not a readable vocabulary"; exit 1; }
done
for f in fuzz/seeds/corpus/*; do
  "$R" data --train "$f" --show 0 > /dev/null || { echo "seed $f is not a readable corpus"; exit 1; }
done
for f in fuzz/seeds/csvlog/*; do
  cp "$f" "$dir/log.csv"
  "$R" report "$dir" --out "$dir/report.svg" > /dev/null || { echo "seed $f is not a readable log"; exit 1; }
done
for f in fuzz/seeds/arpa/*; do
  "$R" ngram info "$f" > /dev/null || { echo "seed $f is not a readable ARPA file"; exit 1; }
done

# an options seed: a command byte (0 train, 1 score, 2 data) and its
# arguments separated by NUL bytes; accepted when `rnnlm CMD ARGS --help`
# parses every argument before the --help (exit 0, not 2)
for f in fuzz/seeds/opts/*; do
  cmd=$(head -c 1 "$f" | od -An -tu1 | tr -d ' ')
  case "$cmd" in 0) cmd=train ;; 1) cmd=score ;; 2) cmd=data ;; *) echo "seed $f: command byte $cmd"; exit 1 ;; esac
  mapfile -d '' args < <(tail -c +2 "$f")
  "$R" "$cmd" "${args[@]}" --help > /dev/null || { echo "seed $f: rnnlm $cmd refuses its arguments"; exit 1; }
done

# a text-rule seed is a limit byte (below 64: --max-line-bytes) and a line
for f in fuzz/seeds/textrule/*; do
  limit=$(od -An -tu1 -N1 "$f" | tr -d ' ')
  if [ "${limit:-64}" -gt 0 ] && [ "${limit:-64}" -lt 64 ]; then set -- --max-line-bytes "$limit"; else set --; fi
  tail -c +2 "$f" > "$dir/line.txt"
  "$R" score tests/data/tiny.safetensors "$dir/line.txt" --threads 1 "$@" > /dev/null 2>&1 \
    || { echo "seed $f is not a line rnnlm score accepts"; exit 1; }
done

# n-best seeds: a first byte picks the reader (0 Kaldi, 1 Kaldi with the same bytes as costs, 2 SRILM)
for f in fuzz/seeds/nbest/*; do
  tail -c +2 "$f" > "$dir/$(basename "$f")"
  g="$dir/$(basename "$f")"
  case $(head -c 1 "$f" | od -An -tu1 | tr -d ' ') in
    0) args=("$g") ;;
    1) args=("$g" --acoustic-costs "$g") ;;
    *) args=(--format srilm "$g") ;;
  esac
  "$R" rescore tests/data/tiny.safetensors "${args[@]}" --lm-weight 0 > /dev/null 2> "$dir/err" \
    || { cat "$dir/err"; echo "seed $f is not a readable n-best list"; exit 1; }
done

make -s fuzz-build >/dev/null   # every harness of the Makefile's FUZZ_NAMES, built when missing
fuzz/run.sh "$FB" runs 4000
