#!/usr/bin/env bash
# test_layers.sh: includes in src/ point one way, down the layers of
# docs/ARCHITECTURE.md:
#
#   core  <-  data, io, ngram, backend  <-  nn  <-  model  <-  train, pipeline  <-  cli
#
# A file of src/<layer>/ may include a header of its own folder, of a layer
# below it, the public rnnlm.h and system headers; never a header of a layer
# above it nor of a sibling folder of the same rank (data does not include io,
# train does not include pipeline). A backend's own folder (src/backend/<name>/)
# is of the backend layer. Every folder of src/ must be in the table below, and
# every include must name its folder ("core/common.h", not "common.h"), so that
# a reader sees where each name comes from.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh

rank() {   # LAYER: its rank, or nothing for an unknown layer
  case "$1" in
  core) echo 0 ;;
  data|io|ngram|backend) echo 1 ;;
  nn) echo 2 ;;
  model) echo 3 ;;
  train|pipeline) echo 4 ;;
  esac
}

# check ROOT: prints each include against the layers; its status is the count
check() (
  cd "$1" || exit 99
  errors=0
  for dir in src/*/; do
    layer=$(basename "$dir")
    [ -n "$(rank "$layer")" ] || { echo "src/$layer/ is in no layer (tests/test_layers.sh's table)"; errors=$((errors + 1)); }
  done
  while IFS= read -r file; do
    layer=$(echo "$file" | cut -d/ -f2)
    own=$(rank "$layer")
    [ -n "$own" ] || continue
    while IFS= read -r hdr; do
      [ "$hdr" = rnnlm.h ] && continue
      case "$hdr" in
      */*) ;;
      *) echo "$file includes \"$hdr\" without its folder"; errors=$((errors + 1)); continue ;;
      esac
      to=${hdr%%/*}
      [ -f "src/$hdr" ] || { echo "$file includes \"$hdr\", which is not a file of src/"; errors=$((errors + 1)); continue; }
      [ "$to" = "$layer" ] && continue
      r=$(rank "$to")
      if [ -z "$r" ] || [ "$r" -gt "$own" ]; then
        echo "$file ($layer) includes \"$hdr\", a header of a layer above it"; errors=$((errors + 1))
      elif [ "$r" -eq "$own" ]; then
        echo "$file ($layer) includes \"$hdr\", a header of a sibling layer"; errors=$((errors + 1))
      fi
    done < <(sed -n 's/^[ \t]*#[ \t]*include[ \t]*"\([^"]*\)".*/\1/p' "$file")
  done < <(find src -name '*.[ch]' | sort)
  exit "$errors"
)

out=$(check .) || fail "includes against the direction of the layers:
$out"

# the check itself must fail on planted faults: an upward include, a sibling's,
# one without its folder, a folder in no layer
plant=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_layers.XXXXXX")
trap 'rm -rf "$plant"' EXIT
mkdir -p "$plant/src/core" "$plant/src/model" "$plant/src/data" "$plant/src/io"
touch "$plant/src/model/model.h" "$plant/src/io/io.h" "$plant/src/core/common.h"
for bad in '#include "model/model.h"@src/core/a.c' '#include "io/io.h"@src/data/b.c' \
           '#include "common.h"@src/core/c.c'; do
  rm -f "$plant"/src/*/[abc].c
  echo "${bad%@*}" > "$plant/${bad#*@}"
  check "$plant" > /dev/null && fail "the check passed a planted fault: ${bad%@*} in ${bad#*@}"
done
rm -f "$plant"/src/*/[abc].c
echo '#include "core/common.h"' > "$plant/src/model/d.c"
check "$plant" > /dev/null || fail "the check refused a downward include"
mkdir "$plant/src/misc"
check "$plant" > /dev/null && fail "the check passed a folder in no layer"
[ "$failures" -eq 0 ] || exit 1
echo "test_layers: ok ($(find src -name '*.[ch]' | wc -l) files of src/)"
