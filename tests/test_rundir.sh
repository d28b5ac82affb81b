#!/usr/bin/env bash
# test_rundir.sh: the directories of `rnnlm train` (--save-dir, --logdir).
#   - one that cannot be used (a file of that name, a directory that takes no
#     new file) is refused before the first step, not after an epoch;
#   - a second run on a directory in use is refused, naming the holder's pid,
#     and touches nothing there;
#   - once its holder is killed (SIGKILL), the next run takes the directory
#     and removes the checkpoint temporaries the killed run left, and nothing
#     else;
#   - a directory holding another run's checkpoints or logs is refused, with a
#     message naming it and the ways out (--overwrite, --resume), and left as
#     it was; --resume continues that run (its log.csv steps go on);
#     --overwrite starts a new one alone there: log.csv with one header and
#     steps from 1, only the new event file, no old epoch file, other files
#     kept; --overwrite with --resume is refused.
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
if "$R" train "${short[@]}" --overwrite --save-dir "$run" --logdir "$run" > "$tmp/out" 2> "$tmp/err"; then
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

# --- a directory that holds another run ---------------------------------------------------
# steps NAME: the train run's batch_loss steps in NAME/log.csv, one line.
steps() { awk -F, '$2 == "train" && $4 == "batch_loss" { printf "%s ", $3 }' "$1/log.csv"; }
# sums DIR: the checksums of the run's files in DIR, sorted.
sums() { (cd "$1" && find . -type f ! -name .rnnlm.lock -exec cksum {} + | sort); }
old="$tmp/old"
long=(--config toy --max-steps 3 --threads 1)
"$R" train "${long[@]}" --epochs 2 --keep-epochs --save-dir "$old" --logdir "$old" > /dev/null 2>&1 ||
  fail "the first run in $old failed"
[ "$(steps "$old")" = "1 2 3 4 5 6 " ] || fail "the first run logged steps $(steps "$old")"
sums "$old" > "$tmp/before"
refused "a new run where another run's files are" "$old" "${long[@]}" --epochs 1 --save-dir "$old" --logdir "$old"
for flag in --overwrite --resume; do
  grep -qF -- "$flag" "$tmp/err" || fail "the refusal does not name $flag: $(cat "$tmp/err")"
done
refused "a new run, --logdir only" "$old" "${long[@]}" --epochs 1 --logdir "$old"
refused "a new run, --save-dir only, by another name" "$tmp/./old" "${long[@]}" --epochs 1 --save-dir "$tmp/./old"
sums "$old" | cmp -s - "$tmp/before" || fail "a refused run changed the old run's files"
"$R" train "${long[@]}" --epochs 1 --overwrite --resume "$old/last.safetensors" > "$tmp/out" 2> "$tmp/err"
[ $? -eq 2 ] && grep -qF -- "--overwrite and --resume" "$tmp/err" ||
  fail "--overwrite with --resume was not refused: $(cat "$tmp/err")"

# --resume continues the run in it: its steps go on, never restarting
cp -r "$old" "$tmp/old2"
if "$R" train --resume "$tmp/old2/last.safetensors" --epochs 3 --save-dir "$tmp/old2" --logdir "$tmp/old2" \
  > "$tmp/out" 2> "$tmp/err"; then
  [ "$(steps "$tmp/old2")" = "1 2 3 4 5 6 7 8 9 " ] || fail "--resume logged steps $(steps "$tmp/old2")"
else
  fail "--resume in the run's own directory was refused: $(cat "$tmp/err")"
fi

# --overwrite: a new run alone in the directory: a clean log.csv (one header,
# steps from 1, no old row), no old event file, no old epoch file
: > "$old/notes.txt"
if "$R" train "${long[@]}" --epochs 1 --overwrite --save-dir "$old" --logdir "$old" > "$tmp/out" 2> "$tmp/err"; then
  [ "$(steps "$old")" = "1 2 3 " ] || fail "--overwrite: log.csv holds steps $(steps "$old")"
  [ "$(grep -c '^wall_time,' "$old/log.csv")" = 1 ] || fail "--overwrite: log.csv has more than one header"
  [ "$(ls "$old/train" | wc -l)" = 1 ] || fail "--overwrite: train/ holds $(ls "$old/train" | wc -l) event files"
  [ -e "$old/epoch-2.safetensors" ] && fail "--overwrite: the old run's epoch-2.safetensors is still there"
  [ -e "$old/epoch-1.safetensors" ] && fail "--overwrite: epoch-1.safetensors without --keep-epochs"
  [ -e "$old/notes.txt" ] || fail "--overwrite removed a file that is not the run's"
  cmp -s "$old/last.safetensors" "$tmp/old2/last.safetensors" && fail "--overwrite: last.safetensors is the old one"
else
  fail "--overwrite was refused: $(cat "$tmp/err")"
fi

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
