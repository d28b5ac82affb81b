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

# fail WHY...: one more failure (the test counts them in $failures and exits 1
# when there were any).
failures=0
fail() { failures=$((failures + 1)); echo "FAIL $*"; }

# expect_run STATUS NEEDLE CMD...: CMD (stdin /dev/null) exits STATUS and its
# stderr holds NEEDLE, else a failure; its stdout and stderr are left in
# $tmp/out and $tmp/err (the test's $tmp).
expect_run() {
  local want=$1 needle=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "$*: exit status $rc, expected $want; stderr: $(head -c 400 "$tmp/err")"
  elif ! grep -qF -- "$needle" "$tmp/err"; then
    fail "$*: stderr lacks '$needle': $(head -c 400 "$tmp/err")"
  fi
}
