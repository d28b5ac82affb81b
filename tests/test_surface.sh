#!/usr/bin/env bash
# test_surface.sh: the library's surface is its public header.
#  - librnnlm.so exports only rnnlm_* symbols (it is built with
#    -fvisibility=hidden; RNNLM_API marks what include/rnnlm.h declares);
#  - every function the public header declares is exported;
#  - the command line (cli/) includes no header of the library but
#    rnnlm.h: only its own headers and the system's.
set -u
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
. tests/lib.sh
fail() { echo "FAIL: $*"; exit 1; }
command -v nm > /dev/null || skip "test_surface: nm not found"
so="$BUILD/librnnlm.so"
[ -f "$so" ] || fail "$so not built"

syms=$(nm -D --defined-only "$so" | awk 'NF >= 3 { print $3 }')
[ -n "$syms" ] || fail "$so exports nothing"
bad=$(printf '%s\n' "$syms" | grep -v '^rnnlm_' || true)
[ -z "$bad" ] || fail "$so exports symbols without the rnnlm_ prefix: $(echo $bad)"

# each RNNLM_API function of the header is there
declared=$(sed -n 's/^RNNLM_API [^(]*[ *]\(rnnlm_[a-z0-9_]*\)(.*/\1/p' include/rnnlm.h | sort -u)
[ -n "$declared" ] || fail "no RNNLM_API declaration found in include/rnnlm.h"
for f in $declared; do
  printf '%s\n' "$syms" | grep -qx "$f" || fail "$so does not export $f (declared in include/rnnlm.h)"
done

# cli/ includes rnnlm.h, its own headers, and system headers (<...>) only
own=$(cd cli && ls *.h)
while IFS= read -r line; do
  file=${line%%:*}
  hdr=$(echo "$line" | sed -n 's/.*#include *"\([^"]*\)".*/\1/p')
  [ -n "$hdr" ] || continue
  [ "$hdr" = rnnlm.h ] && continue
  printf '%s\n' $own | grep -qx "$hdr" || fail "$file includes \"$hdr\", a header that is neither rnnlm.h nor the command line's own"
done < <(grep -H '^#include *"' cli/*.c cli/*.h)

echo "test_surface: ok ($(printf '%s\n' "$syms" | wc -l) exported symbols, all rnnlm_*)"
