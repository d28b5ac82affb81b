#!/usr/bin/env bash
# test_kn_nltk.sh: dev/kn_baseline.py's Kneser-Ney gives the same probabilities
# as NLTK's KneserNeyInterpolated (Debian python3-nltk) on a toy stream, orders
# 2 to 4, with NLTK's fixed discount (tests/kn_check.py nltk). Skips
# (tests/lib.sh) without /usr/bin/python3 or its nltk module.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
need_python
"$PY" -c 'import nltk.lm' 2>/dev/null || skip "no nltk for $PY (Debian python3-nltk)"
"$PY" tests/kn_check.py nltk
