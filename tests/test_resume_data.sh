#!/usr/bin/env bash
# test_resume_data.sh: a resume checks its data against the fingerprints the
# checkpoint holds (data.* keys, docs/FORMAT.md): a word changed (same size),
# sentences reordered, a line added, a relative --corpus that names another
# file from another directory, a changed --valid file, a changed file of the
# Brown directory, and a checkpoint whose vocabulary fingerprint is not its
# vocabulary's are each refused (exit 1, one stderr line naming the file and
# whether its size or its content differs); --allow-data-change resumes with a
# note; the same data resume silently, from a copy elsewhere too.
set -u
R="$(cd "$(dirname "${BUILD:-build}/rnnlm")" && pwd)/rnnlm"
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_resume_data.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { failures=$((failures + 1)); echo "FAIL $*"; }
cd "$tmp" || exit 1
mkdir a b
awk 'BEGIN { s = 3; for (i = 0; i < 300; i++) { n = 4 + i % 7; line = "";
  for (j = 0; j < n; j++) { s = (s * 1103515245 + 12345) % 2147483648; line = line " w" int(s / 65536) % 60 }
  print line } }' > a/corpus.txt
small=(--vocab-size 50 --batch-size 4 --max-time 8 --threads 1 --hidden 8 --layers 1 --epochs 1)
(cd a && "$R" train --corpus corpus.txt "${small[@]}" --save-dir run > out 2>&1) || fail "first run: $(tail -n 2 a/out)"
ck="$tmp/a/run/last.safetensors"
cp a/corpus.txt a/orig.txt

# resume DIR WANT NEEDLE [ARGS...]: `rnnlm train --resume` of the checkpoint in DIR, to
# epoch 2, exits WANT; on failure one stderr line holding NEEDLE; on success the
# note holds NEEDLE (or there is no note when NEEDLE is empty)
resume() {
  local d=$1 want=$2 needle=$3
  shift 3
  (cd "$d" && "$R" train --resume "$ck" --epochs 2 "$@" > "$tmp/out" 2> "$tmp/err")
  local rc=$?
  if [ "$rc" -ne "$want" ]; then fail "resume in $d $*: exit $rc, expected $want: $(head -n 2 "$tmp/err")"; return; fi
  if [ "$want" -ne 0 ]; then
    [ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "resume in $d $*: $(wc -l < "$tmp/err") lines on stderr"
    grep -qF -- "$needle" "$tmp/err" || fail "resume in $d $*: stderr lacks '$needle': $(cat "$tmp/err")"
  elif [ -n "$needle" ]; then
    grep -qF -- "$needle" "$tmp/out" || fail "resume in $d $*: no note '$needle': $(grep note "$tmp/out")"
  elif grep -q '^note: ' "$tmp/out"; then fail "resume in $d $*: an unexpected note: $(grep '^note' "$tmp/out")"
  fi
}

resume a 0 ""   # the same data
# a word changed, the size kept
sed '5s/w1/w2/' a/orig.txt > a/corpus.txt
cmp -s a/orig.txt a/corpus.txt && fail "the edit changed nothing"
resume a 1 "corpus.txt (--corpus) has the size the checkpoint's run read ("
resume a 1 "but other content"
resume a 0 "note: the data differ from the checkpoint's: corpus.txt (--corpus) has the size" --allow-data-change
# the sentences reordered: the same words, the same size
{ sed -n '2p' a/orig.txt; sed -n '1p' a/orig.txt; sed -n '3,$p' a/orig.txt; } > a/corpus.txt
resume a 1 "corpus.txt (--corpus) has the size the checkpoint's run read"
# a sentence added
{ cat a/orig.txt; echo "w1 w2 w3"; } > a/corpus.txt
resume a 1 "corpus.txt (--corpus) holds $(($(wc -c < a/orig.txt) + 9)) bytes, the checkpoint's run read $(wc -c < a/orig.txt)"
cp a/orig.txt a/corpus.txt
# from another directory, the relative --corpus names another file
head -n 200 a/orig.txt > b/corpus.txt
resume b 1 "corpus.txt (--corpus) holds $(wc -c < b/corpus.txt) bytes"
cp a/orig.txt b/corpus.txt   # ... or a copy of the same one
resume b 0 ""

# separate files: the validation file changed
head -n 200 a/orig.txt > tr.txt; sed -n '201,250p' a/orig.txt > va.txt; sed -n '251,300p' a/orig.txt > te.txt
"$R" train --train tr.txt --valid va.txt --test te.txt "${small[@]}" --save-dir files > out 2>&1 || fail "files run: $(tail -n 2 out)"
ck="$tmp/files/last.safetensors"
resume . 0 ""
sed -i '1s/^/w3 /' va.txt
resume . 1 "va.txt (--valid) holds"

# the Brown reader (two files of a tagged corpus): --brown-dir may move, the files may not change
mkdir -p brown
for f in ca01 ca02; do
  awk -v k="$f" 'BEGIN { for (i = 0; i < 120; i++) { line = ""; for (j = 0; j < 6; j++) line = line " w" (i * 7 + j * 3) % 40 "/nn"; print line } }' > brown/$f
done
"$R" train --corpus brown --brown-dir brown "${small[@]}" --save-dir brun > out 2>&1 || fail "brown run: $(tail -n 2 out)"
ck="$tmp/brun/last.safetensors"
cp -r brown brown2
resume . 0 "" --brown-dir brown2
sed -i '1s/w0/w9/' brown2/ca02
resume . 1 "brown2 (--brown-dir) has the size the checkpoint's run read" --brown-dir brown2

# the vocabulary's fingerprint: a checkpoint whose stored one is not its vocabulary's
ck="$tmp/a/run/last.safetensors"
cp "$ck" forged.safetensors
h=$(head -c 100000 forged.safetensors | grep -a -o '"data.vocab.fnv1a64":"[0-9a-f]*"' | sed 's/.*:"\(.*\)"/\1/')
[ ${#h} -eq 16 ] || fail "no data.vocab.fnv1a64 in the checkpoint"
sed -i "s/\"data.vocab.fnv1a64\":\"$h\"/\"data.vocab.fnv1a64\":\"0123456789abcdef\"/" forged.safetensors
ck="$tmp/forged.safetensors"
resume a 1 "the vocabulary (50 words) is not the one the checkpoint's run used"

# the toy corpus reads no file: nothing to compare, no note
"$R" train --config toy --epochs 1 --save-dir toy > out 2>&1 || fail "toy run"
ck="$tmp/toy/last.safetensors"
resume . 0 ""

[ "$failures" -eq 0 ] || { echo "test_resume_data: $failures failures"; exit 1; }
echo "test_resume_data: ok"
