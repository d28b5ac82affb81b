#!/usr/bin/env bash
# test_ngram_cli.sh: `rnnlm ngram ppl|info` on a small hand-written model
# (the numbers worked out in the comments): SRILM's summary lines and
# denominators, --unk, --per-word, CRLF text and stdin, a model read from a
# pipe (gzip), --help listing every flag, usage errors (exit 2) and bad input
# (exit 1 with file:line: cause). Env: BUILD (default build).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
R=$BUILD/rnnlm
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_ngram_cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { failures=$((failures + 1)); echo "FAIL $*"; }
expect() {   # expect WHAT WANT GOT
  [ "$2" = "$3" ] || fail "$1: expected [$2], got [$3]"
}

printf '\\data\\\nngram 1=5\nngram 2=2\n\n\\1-grams:\n-99 <s> -0.5\n-0.6 </s>\n-1.5 <unk>\n-0.7 a -0.3\n-0.8 b\n\n\\2-grams:\n-0.4 <s> a\n-0.3 a b\n\n\\end\\\n' > "$tmp/m.arpa"
# "a b": -0.4 - 0.3 + P(</s> | b) = -0.6 -> -1.3; "b x a": P(b | <s>) = bow(<s>) + p(b) = -1.3,
# x an OOV, P(a) = -0.7 (history cut), P(</s> | a) = bow(a) + p(</s>) = -0.9 -> -2.9
# total -4.2 over 2 sentences, 5 words, 1 OOV: ppl = 10^(4.2 / 6), ppl1 = 10^(4.2 / 4)
printf 'a b\r\n\nb x a\r\n' > "$tmp/t.txt"
out=$("$R" ngram ppl "$tmp/m.arpa" "$tmp/t.txt") || fail "ngram ppl exited $?"
want=$(printf 'file %s: 2 sentences, 5 words, 1 OOVs\n0 zeroprobs, logprob= -4.2 ppl= %s ppl1= %s' "$tmp/t.txt" \
  "$(awk 'BEGIN { printf "%g", 10 ^ (4.2 / 6) }')" "$(awk 'BEGIN { printf "%g", 10 ^ (4.2 / 4) }')")
expect "ngram ppl" "$want" "$out"
# --unk: x is <unk>: P(<unk> | b) = 0 + p(<unk>) = -1.5, P(a | <unk>) = -0.7: -1.3 - 1.5 - 0.7 - 0.9 - 1.3 = -5.7
out=$("$R" ngram ppl "$tmp/m.arpa" - --unk < "$tmp/t.txt" | tail -n 1)
expect "ngram ppl --unk" "0 zeroprobs, logprob= -5.7 ppl= $(awk 'BEGIN { printf "%g", 10 ^ (5.7 / 7) }') ppl1= $(awk 'BEGIN { printf "%g", 10 ^ (5.7 / 5) }')" "$out"
out=$("$R" ngram ppl "$tmp/m.arpa" "$tmp/t.txt" --per-word | head -n 7 | tr '\t' ' ')
expect "--per-word" "$(printf ' a -0.400000\n b -0.300000\n </s> -0.600000\n b -1.300000\n x OOV\n a -0.700000\n </s> -0.900000')" "$out"
# a zero probability: <s> written in the text
out=$(echo '<s> a' | "$R" ngram ppl "$tmp/m.arpa" - | tail -n 1 | cut -d, -f1)
expect "zeroprob" "1 zeroprobs" "$out"
# the model gzip-compressed, through a pipe
out=$("$R" ngram info <(gzip -c "$tmp/m.arpa") | tr '\n' '|')
expect "ngram info (gzip pipe)" "order 2|ngram 1=5|ngram 2=2|vocabulary 5 words; <s> yes, </s> yes, <unk> yes|" "$out"

help=$("$R" ngram ppl --help) || fail "ngram ppl --help exited $?"
for f in --unk --per-word --max-line-bytes; do
  printf '%s\n' "$help" | grep -q -- "$f" || fail "ngram ppl --help does not list $f"
done
"$R" ngram > /dev/null 2>&1; expect "ngram without a subcommand" 2 $?
"$R" ngram --help > /dev/null 2>&1; expect "ngram --help" 0 $?
"$R" ngram ppl "$tmp/m.arpa" > /dev/null 2>&1; expect "ngram ppl without TEXT" 2 $?
"$R" ngram ppl "$tmp/m.arpa" "$tmp/t.txt" --bogus > /dev/null 2>&1; expect "unknown flag" 2 $?
printf 'a b\nb \377\n' > "$tmp/bad.txt"
err=$("$R" ngram ppl "$tmp/m.arpa" "$tmp/bad.txt" 2>&1 >/dev/null); rc=$?
expect "invalid UTF-8 text exit" 1 $rc
case "$err" in *"bad.txt:2: invalid UTF-8"*) ;; *) fail "invalid UTF-8 text: $err" ;; esac
err=$("$R" ngram ppl "$tmp/m.arpa" "$tmp/t.txt" --max-line-bytes 4 2>&1 >/dev/null)
case "$err" in *"t.txt:3: line longer than 4 bytes"*) ;; *) fail "--max-line-bytes: $err" ;; esac
sed 's/^ngram 2=2/ngram 2=3/' "$tmp/m.arpa" > "$tmp/bad.arpa"
err=$("$R" ngram ppl "$tmp/bad.arpa" "$tmp/t.txt" 2>&1 >/dev/null); rc=$?
expect "bad model exit" 1 $rc
expect "bad model message" "rnnlm ngram ppl: $tmp/bad.arpa:16: the \\2-grams: section holds 2 entries, \\data\\ announced 3" "$err"
err=$("$R" ngram info "$tmp/none.arpa" 2>&1); expect "missing model exit" 1 $?
case "$err" in *"none.arpa: No such file"*) ;; *) fail "missing model: $err" ;; esac

[ "$failures" -eq 0 ] || exit 1
echo ok
