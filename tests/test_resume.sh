#!/usr/bin/env bash
# Exact resume: a run straight, and the same run killed with SIGKILL at a
# random step of a later epoch and resumed from its last checkpoint, end with
# byte-identical checkpoints (weights, optimiser state, everything) and print
# the same figures. Three runs: the plain one (2 epochs, killed in epoch 2);
# one with a plateau schedule, early stopping, automatic averaging and a
# carved validation split, killed in epoch 4 (averaging under way, the lr
# decayed; patience stops it at epoch 5 of 6); one with the cosine schedule
# and averaging from epoch 2, both planned from a budget of steps and a
# fraction of the run (the preset's way), and the sentences reshuffled each
# epoch, killed in epoch 2. Then an epoch-boundary
# resume of the second run (3 epochs, then --epochs 6, the last
# checkpoint compared). Last, runs cut by this invocation's limits
# (--max-minutes, --stop-at-step) and resumed without them end as the run that
# was never cut: the same checkpoints, log.csv and figures (guard_cut below).
set -euo pipefail
R=${BUILD:-build}/rnnlm
dir=$(mktemp -d); [ -n "${KEEP:-}" ] || trap 'rm -rf "$dir"' EXIT
# a small deterministic corpus: 3,000 sentences over a 400-word vocabulary
awk 'BEGIN { s = 7; for (i = 0; i < 3000; i++) { n = 5 + i % 9; line = "";
  for (j = 0; j < n; j++) { s = (s * 1103515245 + 12345) % 2147483648; line = line " w" int(s / 65536) % 400 }
  print line } }' > "$dir/corpus.txt"
base=(--corpus "$dir/corpus.txt" --vocab-size 300 --batch-size 8 --max-time 10 --threads 1 --dropout 0.2)

# figures KILLED_LOG: the lines a run prints after its progress, without timings
figures() { grep -E '^(epoch [0-9]+/|early stopping|best |test:)' "$1" | sed 's/ - [0-9]*s - [0-9]* tok\/s//; s/ [^ ]*best.safetensors//'; }

# kill_and_resume NAME KILL_EPOCH EPOCHS EVERY ARGS...: the run of ARGS straight
# and killed during epoch KILL_EPOCH (checkpoints every EVERY steps), then
# resumed with --epochs EPOCHS (-: the checkpoint's plan)
kill_and_resume() {
  local name=$1 kill_epoch=$2 epochs=$3 every=$4
  shift 4
  local args=("$@") d="$dir/$name"
  mkdir -p "$d"
  "$R" train "${args[@]}" --save-dir "$d/straight" > "$d/straight.log"
  for attempt in 1 2 3 4 5; do
    rm -rf "$d/killed"
    "$R" train "${args[@]}" --save-dir "$d/killed" --save-every "$every" > "$d/killed.log" 2>&1 &
    pid=$!
    # wait until epoch KILL_EPOCH is under way, then kill at a random moment of it
    for _ in $(seq 1000); do grep -q "^epoch $kill_epoch step" "$d/killed.log" && break; sleep 0.02; done
    sleep "0.$((RANDOM % 20))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    grep -q "^epoch $kill_epoch/" "$d/killed.log" || break   # killed before the epoch's end: a real test
    echo "NOTE: $name: run went past epoch $kill_epoch before the kill (attempt $attempt); trying again"
  done
  test -f "$d/killed/last.safetensors"
  local more=(--epochs "$epochs")
  [ "$epochs" != - ] || more=()
  "$R" train --resume "$d/killed/last.safetensors" --save-dir "$d/killed" "${more[@]}" > "$d/resumed.log"
  pos=$(sed -n 's/^resumed from .* at \(epoch [0-9]*, step [0-9]*\)/\1/p' "$d/resumed.log")
  echo "NOTE: $name: resumed at $pos"
  cmp "$d/straight/last.safetensors" "$d/killed/last.safetensors"
  cmp "$d/straight/best.safetensors" "$d/killed/best.safetensors"
  # the resumed run's figures are the straight run's from its first epoch on
  local first
  first=$(sed -n 's/^epoch \([0-9]*\)\/.*/\1/p' "$d/resumed.log" | head -n 1)
  diff <(figures "$d/straight.log" | awk -v f="${first:-999999}" '!/^epoch/ || $2 + 0 >= f') <(figures "$d/resumed.log")
}

# (the models are wide enough for an epoch to last about a second, so that the kill lands inside it)
kill_and_resume plain 2 2 1 "${base[@]}" --hidden 128 --layers 2 --epochs 2

sched=("${base[@]}" --hidden 96 --layers 2 --epochs 6 --lr 0.05 --valid-split 0.1 --lr-schedule plateau
       --patience 2 --average auto)
kill_and_resume plateau 4 6 7 "${sched[@]}"
d="$dir/plateau"
# the scenario holds what it is meant to test
grep -q '^epoch 2/6.* - averaging from epoch 3' "$d/straight.log" || { echo "FAIL: no auto averaging at epoch 2"; exit 1; }
grep -q '^epoch 4/6.*(averaged over [0-9]* steps) - lr 0.025$' "$d/straight.log" ||
  { echo "FAIL: epoch 4 neither averaged nor decayed: $(grep '^epoch 4/6' "$d/straight.log")"; exit 1; }
grep -q '^early stopping: 2 epochs' "$d/straight.log" || { echo "FAIL: no early stop"; exit 1; }
! grep -q '^epoch 6/6' "$d/straight.log" || { echo "FAIL: epoch 6 ran despite --patience 2"; exit 1; }

# with every regulariser on: their masks come from the saved generator, in a fixed order; the
# sentences reshuffled each epoch (the killed epoch's order is made again from the seed);
# 900 steps of this corpus's 302-step epochs are 3 epochs, averaged from epoch ceil(0.5 * 3) = 2
kill_and_resume cosine 2 - 7 "${base[@]}" --hidden 160 --layers 1 --budget-steps 900 --lr-schedule cosine \
  --lr-min 0.001 --average-from 0.5 --tied --locked --dropout-out 0.3 --dropout-emb 0.2 --dropout-word 0.1 --weight-drop 0.2 \
  --weight-decay 0.001 --ar 2 --tar 1 --reshuffle
grep -q '^epoch 3/3.*(averaged over [0-9]* steps) - lr 0.001' "$dir/cosine/straight.log" ||
  { echo "FAIL: cosine: $(grep '^epoch 3/3' "$dir/cosine/straight.log")"; exit 1; }
grep -q '^epoch 2/3.*(averaged over 302 steps)' "$dir/cosine/straight.log" && ! grep -q '^epoch 1/3.*averaged' \
  "$dir/cosine/straight.log" || { echo "FAIL: cosine: averaging did not start at epoch 2"; exit 1; }

# a resume at an epoch's end: 3 epochs, then on to 6, as the straight run
d="$dir/plateau"
"$R" train "${sched[@]}" --epochs 3 --save-dir "$d/boundary" > "$d/b1.log"
"$R" train --resume "$d/boundary/last.safetensors" --save-dir "$d/boundary" --epochs 6 > "$d/b2.log"
cmp "$d/straight/last.safetensors" "$d/boundary/last.safetensors"   # (best keeps the first part's config.epochs)

# --- cut by this invocation's limits (--max-minutes, --stop-at-step), then resumed ---------------

# guard_cut NAME "LIMITS" ["LIMITS" ...] -- ARGS...: the run of ARGS straight (with
# --logdir), and the same run given the first LIMITS, resumed with each further
# LIMITS in turn (each invocation's own: none is inherited) and finally with
# none. Each invocation but the last must stop at its limit. They end with
# byte-identical last and best checkpoints, the same log.csv rows (less the wall
# time and the timing scalar tokens_per_second), every whole epoch's figures
# once and in order, and the last one's end (best, test) as the straight run's.
guard_cut() {
  local name=$1 d="$dir/$1"
  shift
  local cuts=()
  while [ "$1" != -- ]; do cuts+=("$1"); shift; done
  shift
  mkdir -p "$d"
  "$R" train "$@" --save-dir "$d/straight" --logdir "$d/straight" > "$d/straight.log"
  local i log limits
  for ((i = 0; i <= ${#cuts[@]}; i++)); do
    log="$d/cut$i.log"
    read -r -a limits <<< "${cuts[$i]:-}"
    if [ "$i" = 0 ]; then "$R" train "$@" --save-dir "$d/cut" --logdir "$d/cut" "${limits[@]}" > "$log"
    else "$R" train --resume "$d/cut/last.safetensors" --save-dir "$d/cut" --logdir "$d/cut" ${limits[@]+"${limits[@]}"} > "$log"
    fi
    if [ "$i" -lt "${#cuts[@]}" ]; then
      grep -q '^stopped: ' "$log" || { echo "FAIL: $name: invocation $i (${cuts[$i]}) did not stop"; exit 1; }
    elif grep -q '^stopped: ' "$log"; then
      echo "FAIL: $name: the last resume, given no limit, stopped: $(grep '^stopped' "$log")"; exit 1
    fi
  done
  cmp "$d/straight/last.safetensors" "$d/cut/last.safetensors"
  cmp "$d/straight/best.safetensors" "$d/cut/best.safetensors"
  csv() { cut -d, -f2- "$1/log.csv" | grep -v ',tokens_per_second,'; }
  diff <(csv "$d/straight") <(csv "$d/cut") || { echo "FAIL: $name: log.csv differs"; exit 1; }
  epochs_of() { figures "$1" | grep '^epoch' | grep -v ' cut after step ' || true; }
  diff <(epochs_of "$d/straight.log") <(for ((i = 0; i <= ${#cuts[@]}; i++)); do epochs_of "$d/cut$i.log"; done) ||
    { echo "FAIL: $name: the epochs' figures differ"; exit 1; }
  diff <(figures "$d/straight.log" | grep -v '^epoch') <(figures "$log" | grep -v '^epoch') ||
    { echo "FAIL: $name: the final figures differ"; exit 1; }
  echo "NOTE: $name: $(grep -h -o -E 'cut after step [0-9]+ of [0-9]+|reached after epoch [0-9]+' "$d"/cut*.log |
    paste -sd, -); resumed to the straight run's bytes"
}

small=("${base[@]}" --hidden 32 --layers 1 --lr 0.05 --valid-split 0.1)
# the guard itself: a limit of 60 ns cuts the first epoch after its first step,
# before any validation (best.safetensors then holds those weights, until the
# resumed run validates epoch 1); the resumed run, given no limit, is not cut
guard_cut guard "--max-minutes 1e-9" -- "${small[@]}" --epochs 2
grep -q '^epoch 1/2 cut after step 1 of ' "$dir/guard/cut0.log" || { echo "FAIL: guard: $(grep cut "$dir/guard/cut0.log")"; exit 1; }
# a plateau schedule with automatic averaging and patience (epoch 2 does not
# improve: the lr halves and averaging starts at epoch 3), cut within epoch 2,
# at the end of epoch 3 (a whole epoch: validated, then the stop) and within
# epoch 4
spe=$("$R" train "${small[@]}" --epochs 1 --stop-at-step 1 | sed -n 's/.* epochs of \([0-9]*\) steps.*/\1/p')
guard_cut plateau-cut "--stop-at-step $((spe + spe / 2))" "--stop-at-step $((3 * spe))" "--stop-at-step $((3 * spe + 7))" -- \
  "${small[@]}" --epochs 6 --lr-schedule plateau --patience 2 --average auto
d="$dir/plateau-cut"
grep -q '^epoch 2/6 .* - lr 0.05 - averaging from epoch 3$' "$d/straight.log" &&
  grep -q '^epoch 3/6 .*(averaged over [0-9]* steps) - lr 0.025$' "$d/straight.log" ||
  { echo "FAIL: plateau-cut: the scenario lacks the decay or the averaging: $(figures "$d/straight.log")"; exit 1; }
grep -q 'reached after epoch 3;' "$d/cut1.log" || { echo "FAIL: plateau-cut: no stop at the end of epoch 3"; exit 1; }
