#!/usr/bin/env bash
# test_function_length.sh: no function of src/ or cli/ is longer than 80
# lines, counted from the line that opens its body ("{" ending a line at the
# top level, after the signature) to its closing "}" at the start of a line,
# both included. A longer function is split into named pieces.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
MAX=80

# lengths FILE...: "FILE:LINE NAME LENGTH" for each function over MAX
lengths() {
  awk -v max="$MAX" '
    FNR == 1 { name = ""; start = 0 }
    # the name: the identifier before "(" on a top-level line (a signature
    # may span lines; its first line holds the name)
    /^[A-Za-z_]/ && /\(/ && !/;[ \t]*$/ {
      s = $0; sub(/\(.*/, "", s); n = split(s, w, /[ \t*]+/); name = w[n]; line = FNR
    }
    # a prototype (ending in ";") names no body
    !body && /;[ \t]*$/ { name = "" }
    /\{[ \t]*$/ && !body && name != "" && $0 !~ /^(typedef|struct|enum|union|static const|const)[ \t]/ && $0 !~ /=[ \t]*\{[ \t]*$/ {
      body = 1; start = FNR; fname = name; fline = line; next
    }
    body && /^\}/ {
      len = FNR - start + 1
      if (len > max) printf "%s:%d %s %d\n", FILENAME, fline, fname, len
      body = 0; name = ""
    }
  ' "$@"
}

files=$(find src cli -name '*.c' | sort)
over=$(lengths $files)
while IFS= read -r hit; do
  [ -n "$hit" ] || continue
  fail "function over $MAX lines: $hit"
done <<< "$over"

# the check itself must find a planted long function, and pass a short one
plant=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_fnlen.XXXXXX")
trap 'rm -rf "$plant"' EXIT
{ echo 'static int long_one(int a,'; echo '                    int b) {'
  for i in $(seq 1 $MAX); do echo "    a += b * $i;"; done
  echo '    return a;'; echo '}'
  echo 'int short_one(void) {'; echo '    return 1;'; echo '}'; } > "$plant/x.c"
got=$(lengths "$plant/x.c")
[ "$got" = "$plant/x.c:1 long_one $((MAX + 3))" ] || fail "the check missed a planted long function (got: $got)"

[ "$failures" -eq 0 ] || exit 1
echo "test_function_length: ok ($(echo "$files" | wc -l) files; none over $MAX lines)"
