#!/usr/bin/env bash
# test_symlinks.sh: no command writes through a symbolic link it finds where
# it creates a file. Each case plants links to a victim outside (a file with
# known content, or a directory) at a name the command creates, then checks
# the victim is untouched (content compared byte for byte) and:
#   - names the program opens in place (the run directory's lock
#     .rnnlm.lock, log.csv, the event directories train/ and validation/):
#     the command is refused (non-zero exit, a message naming the file);
#     a new run is refused anyway where log.csv exists (another run's file),
#     and --overwrite removes a log.csv link, never following it;
#   - the temporaries of the atomic writer: their names are random now, so a
#     link planted at the old predictable name ("<file>.tmp.<pid>", probes
#     ".rnnlm-probe.<pid>", --write-ids's "<file>.tmp") must change nothing
#     and the command succeeds;
#   - final names (last/best/epoch-N.safetensors, vocab.tsv, *.ids,
#     report.svg, vectors.tsv, metadata.tsv): the rename that puts the file
#     in place replaces the link itself, never writing through it.
# Covered: train (--save-dir, --logdir, --keep-epochs, --resume, --save-vocab),
# data (--write-ids, --save-vocab), report (default name and --out),
# embeddings --out. eval, score, generate, summary and neighbors create no
# file (their output is stdout).
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
R="$(cd "$(dirname "${BUILD:-build}/rnnlm")" && pwd)/rnnlm"
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_symlinks.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { failures=$((failures + 1)); echo "FAIL $*"; }
short=(--config toy --epochs 1 --max-steps 2 --threads 1)
V="$tmp/victim"      # a file outside every directory written
VD="$tmp/victimdir"  # a directory outside

# victim [CONTENT]: a fresh victim file (default content "precious") and directory.
victim() {
  printf '%s' "${1-precious
}" > "$V"
  cp "$V" "$tmp/victim.orig"
  rm -rf "$VD"
  mkdir "$VD"
  printf 'kept\n' > "$VD/events.out.tfevents.1.host.1.0.v2"
}

# untouched NAME: the victim file and directory are as victim made them.
untouched() {
  cmp -s "$V" "$tmp/victim.orig" || fail "$1: the victim file was written: $(head -c 80 "$V" | od -c | head -2)"
  [ "$(ls -A "$VD")" = "events.out.tfevents.1.host.1.0.v2" ] || fail "$1: the victim directory changed: $(ls -A "$VD")"
  [ "$(cat "$VD/events.out.tfevents.1.host.1.0.v2" 2>/dev/null)" = kept ] || fail "$1: a victim directory file changed"
}

# at_pid LINK... -- CMD...: runs CMD with each LINK (where @ becomes CMD's
# pid) made a symbolic link to the victim first. Output in $tmp/out, $tmp/err;
# the exit status in $rc.
at_pid() {
  local links=()
  while [ "$1" != -- ]; do links+=("$1"); shift; done
  shift
  bash -c 'v=$1; n=$2; shift 2
           for ((i = 0; i < n; i++)); do ln -s "$v" "${1//@/$$}"; shift; done
           exec "$@"' _ "$V" "${#links[@]}" "${links[@]}" "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
  rc=$?
}

# refused NAME NEEDLE CMD...: CMD exits non-zero with NEEDLE on stderr; the victim is untouched.
refused() {
  local name=$1 needle=$2
  shift 2
  at_pid -- "$@"
  if [ "$rc" -eq 0 ]; then fail "$name: accepted, expected a refusal"
  elif ! grep -qF -- "$needle" "$tmp/err"; then fail "$name: stderr does not name '$needle': $(cat "$tmp/err")"
  fi
  untouched "$name"
}

# accepted NAME: the last at_pid exited 0; the victim is untouched.
accepted() {
  [ "$rc" -eq 0 ] || fail "$1: exit $rc: $(cat "$tmp/err")"
  untouched "$1"
}

# replaced NAME FILE...: each FILE is now a regular file, not a link.
replaced() {
  local name=$1 f
  shift
  for f in "$@"; do
    { [ -f "$f" ] && [ ! -L "$f" ]; } || fail "$name: $f is not a regular file in place of the link"
  done
}

# --- train: the lock, probes, checkpoint temporaries -----------------------------------
victim
mkdir "$tmp/lock1" "$tmp/lock2"
ln -s "$V" "$tmp/lock1/.rnnlm.lock"
ln -s "$V" "$tmp/lock2/.rnnlm.lock"
refused "train: --save-dir lock is a link" "$tmp/lock1/.rnnlm.lock" "$R" train "${short[@]}" --save-dir "$tmp/lock1"
refused "train: --logdir lock is a link" "$tmp/lock2/.rnnlm.lock" "$R" train "${short[@]}" --logdir "$tmp/lock2"
grep -q "symbolic link" "$tmp/err" || fail "train: the lock refusal does not say why: $(cat "$tmp/err")"

victim
mkdir "$tmp/t"
at_pid "$tmp/t/.rnnlm-probe.@" "$tmp/t/last.safetensors.tmp.@" "$tmp/t/best.safetensors.tmp.@" \
  "$tmp/t/epoch-1.safetensors.tmp.@" -- "$R" train "${short[@]}" --keep-epochs --save-dir "$tmp/t" --logdir "$tmp/t"
accepted "train: links at the old probe and checkpoint temporary names"
replaced "train" "$tmp/t/last.safetensors" "$tmp/t/best.safetensors" "$tmp/t/epoch-1.safetensors"

# --- train: final checkpoint names that are links (a resume into the directory) ---------
victim
mkdir "$tmp/src" "$tmp/fin"
"$R" train "${short[@]}" --keep-epochs --save-dir "$tmp/src" > /dev/null 2>&1 || fail "train: the source run failed"
"$R" train "${short[@]}" --save-dir "$tmp/src2" > /dev/null 2>&1 || fail "train: the second source run failed"
for f in last best epoch-2; do ln -s "$V" "$tmp/fin/$f.safetensors"; done
at_pid -- "$R" train --resume "$tmp/src/last.safetensors" --epochs 2 --save-dir "$tmp/fin"
accepted "train --resume: last, best, epoch-2.safetensors are links"
replaced "train --resume" "$tmp/fin/last.safetensors" "$tmp/fin/epoch-2.safetensors"

# --- train: log.csv and the event directories ---------------------------------------------
victim ""   # an empty victim: an append would start it with the csv header
mkdir "$tmp/csv"
ln -s "$V" "$tmp/csv/log.csv"
refused "train --resume: log.csv is a link" "$tmp/csv/log.csv" \
  "$R" train --resume "$tmp/src2/last.safetensors" --epochs 2 --logdir "$tmp/csv"
refused "train: log.csv is a link" "$tmp/csv" "$R" train "${short[@]}" --logdir "$tmp/csv"
# --overwrite removes the old run's files by name: the link goes, its target stays
at_pid -- "$R" train "${short[@]}" --overwrite --logdir "$tmp/csv"
accepted "train --overwrite: log.csv is a link"
replaced "train --overwrite" "$tmp/csv/log.csv"

for sub in train validation; do
  victim
  mkdir "$tmp/ev-$sub"
  ln -s "$VD" "$tmp/ev-$sub/$sub"
  refused "train: --logdir's $sub/ is a link" "$tmp/ev-$sub/$sub" "$R" train "${short[@]}" --logdir "$tmp/ev-$sub"
  refused "train --overwrite: --logdir's $sub/ is a link" "$tmp/ev-$sub/$sub" \
    "$R" train "${short[@]}" --overwrite --logdir "$tmp/ev-$sub"
  refused "train --resume: --logdir's $sub/ is a link" "$tmp/ev-$sub/$sub" \
    "$R" train --resume "$tmp/src2/last.safetensors" --epochs 2 --logdir "$tmp/ev-$sub"
done

# --- train --save-vocab, data --save-vocab -------------------------------------------------
victim
ln -s "$V" "$tmp/vocab.txt"
at_pid "$tmp/vocab.txt.tmp.@" -- "$R" data --corpus toy --save-vocab "$tmp/vocab.txt"
accepted "data --save-vocab: the file and its old temporary name are links"
replaced "data --save-vocab" "$tmp/vocab.txt"
victim
ln -s "$V" "$tmp/vocab2.txt"
at_pid "$tmp/vocab2.txt.tmp.@" -- "$R" train "${short[@]}" --save-vocab "$tmp/vocab2.txt"
accepted "train --save-vocab: the file and its old temporary name are links"
replaced "train --save-vocab" "$tmp/vocab2.txt"

# --- data --write-ids ----------------------------------------------------------------------
victim
mkdir "$tmp/ids"
ln -s "$V" "$tmp/ids/train.ids.tmp"   # the old fixed temporary name
ln -s "$V" "$tmp/ids/test.ids.tmp"
ln -s "$V" "$tmp/ids/vocab.tsv"
ln -s "$V" "$tmp/ids/train.ids"
at_pid "$tmp/ids/vocab.tsv.tmp.@" "$tmp/ids/train.ids.tmp.@" -- "$R" data --corpus toy --write-ids "$tmp/ids"
accepted "data --write-ids: final and temporary names are links"
replaced "data --write-ids" "$tmp/ids/vocab.tsv" "$tmp/ids/train.ids" "$tmp/ids/test.ids"

# --- report --------------------------------------------------------------------------------
victim
mkdir "$tmp/rep"
"$R" train "${short[@]}" --logdir "$tmp/rep" > /dev/null 2>&1 || fail "report: the run failed"
ln -s "$V" "$tmp/rep/report.svg"
ln -s "$V" "$tmp/out.svg"
at_pid "$tmp/rep/report.svg.tmp.@" -- "$R" report "$tmp/rep"
accepted "report: report.svg and its old temporary name are links"
at_pid "$tmp/out.svg.tmp.@" -- "$R" report "$tmp/rep" --out "$tmp/out.svg"
accepted "report --out: the file and its old temporary name are links"
replaced "report" "$tmp/rep/report.svg" "$tmp/out.svg"

# --- embeddings ----------------------------------------------------------------------------
victim
mkdir "$tmp/emb"
ln -s "$V" "$tmp/emb/vectors.tsv"
ln -s "$V" "$tmp/emb/metadata.tsv"
at_pid "$tmp/emb/vectors.tsv.tmp.@" "$tmp/emb/metadata.tsv.tmp.@" -- \
  "$R" embeddings "$tmp/src/last.safetensors" --out "$tmp/emb"
accepted "embeddings: the files and their old temporary names are links"
replaced "embeddings" "$tmp/emb/vectors.tsv" "$tmp/emb/metadata.tsv"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
