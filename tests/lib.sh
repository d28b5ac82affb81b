# tests/lib.sh: helpers shared by the shell tests; source it.
#
# skip WHY...: the test cannot run here (a prerequisite is missing). Prints
# "SKIP: WHY" and exits 77, the code tests/run.sh counts as skipped; under
# CI=true, where scripts/setup.sh has installed every prerequisite, a missing
# one is a failure: exits 1 instead.
skip() {
  echo "SKIP: $*"
  if [ "${CI:-}" = true ]; then
    echo "FAIL: CI=true and a prerequisite is missing (scripts/setup.sh installs it)"
    exit 1
  fi
  exit 77
}

# need_python: PY=/usr/bin/python3 (Debian's python, where python3-torch,
# -nltk and -numpy live; another python3 may come first on PATH), or skip.
need_python() {
  PY=/usr/bin/python3
  [ -x "$PY" ] || skip "no $PY"
}
