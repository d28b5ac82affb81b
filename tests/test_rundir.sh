#!/usr/bin/env bash
# test_rundir.sh: the directories of `rnnlm train` (--save-dir, --logdir).
#   - one that cannot be used (a file of that name, a directory that takes no
#     new file) is refused before the first step, not after an epoch;
#   - a second run on a directory in use is refused, naming the holder's pid,
#     and touches nothing there;
#   - once its holder is killed (SIGKILL), the next run takes the directory
#     and removes the checkpoint temporaries the killed run left, and nothing
#     else.
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
R="${BUILD:-build}/rnnlm"
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_rundir.XXXXXX") || exit 1
holder=
trap '[ -n "$holder" ] && kill -9 "$holder" 2>/dev/null; rm -rf "$tmp"' EXIT
failures=0
fail() { failures=$((failures + 1)); echo "FAIL $*"; }
short=(--config toy --epochs 1 --max-steps 2 --threads 1)

# refused NAME NEEDLE ARGS...: rnnlm train ARGS exits 1 with one stderr line
# naming NEEDLE, before training (no epoch line on stdout).
refused() {
  local name=$1 needle=$2
  shift 2
  "$R" train "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
  local rc=$?
  if [ "$rc" -ne 1 ]; then fail "$name: exit $rc, expected 1"
  elif [ "$(wc -l < "$tmp/err")" -ne 1 ]; then fail "$name: $(wc -l < "$tmp/err") lines on stderr"
  elif ! grep -qF -- "$needle" "$tmp/err"; then fail "$name: stderr does not name '$needle': $(cat "$tmp/err")"
  elif grep -q '^epoch' "$tmp/out"; then fail "$name: refused only after training"
  fi
}

# --- directories that cannot be used -------------------------------------------------
: > "$tmp/file"
refused "--save-dir is a file" "$tmp/file" "${short[@]}" --save-dir "$tmp/file"
refused "--logdir is a file" "$tmp/file" "${short[@]}" --logdir "$tmp/file"
[ -f "$tmp/file" ] && [ ! -s "$tmp/file" ] || fail "the file named by --save-dir was changed"
# /proc/self takes no new file, even for root
refused "--save-dir takes no file" "/proc/self" "${short[@]}" --save-dir /proc/self
if [ "$(id -u)" != 0 ]; then
  mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
  refused "--save-dir read-only" "$tmp/ro" "${short[@]}" --save-dir "$tmp/ro"
fi

# --- a directory in use -----------------------------------------------------------------
run="$tmp/run"
"$R" train --config toy --epochs 100000 --threads 1 --save-dir "$run" --logdir "$run" > /dev/null 2>&1 &
holder=$!
for _ in $(seq 1000); do
  [ "$(cat "$run/.rnnlm.lock" 2>/dev/null)" = "$holder" ] && [ -f "$run/log.csv" ] && break
  sleep 0.01
done
if [ "$(cat "$run/.rnnlm.lock" 2>/dev/null)" != "$holder" ]; then
  fail "the first run wrote no lock file naming its pid $holder"
fi
: > "$run/best.safetensors.tmp.1"   # could be the holder's: a refused run must leave it
refused "second run, same --save-dir" "pid $holder" "${short[@]}" --save-dir "$run"
refused "second run, same --logdir" "pid $holder" "${short[@]}" --logdir "$run" --save-dir "$tmp/other"
refused "second run, --logdir by another name" "pid $holder" "${short[@]}" --logdir "$tmp/./run"
[ -e "$run/best.safetensors.tmp.1" ] || fail "a refused run removed a temporary file of the running one"
kill -0 "$holder" 2>/dev/null || fail "the first run did not survive the second"

# --- after a kill -----------------------------------------------------------------------
kill -9 "$holder"
wait "$holder" 2>/dev/null
dead=$holder
holder=
: > "$run/last.safetensors.tmp.$dead"
: > "$run/notes.tmp.$dead"                   # not ours: kept
: > "$run/last.safetensors.tmp.${dead}x"     # not the pattern: kept
: > "$run/last.safetensors.bak"
if "$R" train "${short[@]}" --save-dir "$run" --logdir "$run" > "$tmp/out" 2> "$tmp/err"; then
  for f in "last.safetensors.tmp.$dead" best.safetensors.tmp.1; do
    [ -e "$run/$f" ] && fail "the stale $f was not removed"
  done
  for f in "notes.tmp.$dead" "last.safetensors.tmp.${dead}x" last.safetensors.bak last.safetensors; do
    [ -e "$run/$f" ] || fail "$f was removed"
  done
  ls -a "$run" | grep -q '^\.rnnlm-probe' && fail "a probe file was left behind"
else
  fail "the run after a kill was refused: $(cat "$tmp/err")"
fi

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
