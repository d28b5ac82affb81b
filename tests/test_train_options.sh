#!/usr/bin/env bash
# test_train_options.sh: `rnnlm train` refuses values it would otherwise
# silently replace or ignore (a learning rate of 0, a clip that rounds to 0 in
# single precision, --save-every without --save-dir, a resume with no epoch
# left to train): exit status 2 and one stderr line naming the flag. The
# accepted neighbours of each case still train.
# Env: BUILD, the build directory holding rnnlm (default build).
set -u
R="${BUILD:-build}/rnnlm"
[ -x "$R" ] || { echo "no $R (run make first)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_train_options.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { failures=$((failures + 1)); echo "FAIL $*"; }
short=(--config toy --epochs 1 --max-steps 2 --threads 1)

# expect STATUS NEEDLE ARGS...: rnnlm train ARGS exits STATUS; when it is not 0,
# with one stderr line naming NEEDLE.
expect() {
  local want=$1 needle=$2
  shift 2
  "$R" train "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
  local rc=$?
  if [ "$rc" -ne "$want" ]; then fail "train $*: exit $rc, expected $want: $(head -n 3 "$tmp/err")"
  elif [ "$want" -ne 0 ] && [ "$(wc -l < "$tmp/err")" -ne 1 ]; then
    fail "train $*: $(wc -l < "$tmp/err") lines on stderr"
  elif [ "$want" -ne 0 ] && ! grep -qF -- "$needle" "$tmp/err"; then
    fail "train $*: stderr does not name '$needle': $(cat "$tmp/err")"
  fi
}

# --- the learning rate: -1 is the optimiser's default, anything else must be > 0 --------
expect 2 "--lr" "${short[@]}" --lr 0
expect 2 "--lr" "${short[@]}" --lr -0.5
expect 2 "--lr" "${short[@]}" --lr -2
expect 2 "--lr" "${short[@]}" --lr 1e-300
expect 0 "" "${short[@]}" --lr -1
grep -q "adam lr 0.01," "$tmp/out" || fail "--lr -1 is not Adam's default 0.01: $(grep lr "$tmp/out")"
expect 0 "" "${short[@]}" --lr 0.5
grep -q "adam lr 0.5," "$tmp/out" || fail "--lr 0.5 not used: $(grep lr "$tmp/out")"

# --- values that single precision turns into 0 ---------------------------------------
expect 2 "--clip" "${short[@]}" --clip 1e-40
expect 2 "--dropout" "${short[@]}" --dropout 1e-50
expect 0 "" "${short[@]}" --clip 0 --dropout 0

# --- the other ranges ---------------------------------------------------------------
expect 2 "--clip" "${short[@]}" --clip -1
expect 2 "--dropout" "${short[@]}" --dropout 1
expect 2 "--epochs" "${short[@]}" --epochs 0
expect 2 "--max-time" "${short[@]}" --max-time 0
expect 2 "--batch-size" "${short[@]}" --batch-size 0
expect 2 "--hidden" "${short[@]}" --hidden 0
expect 2 "--threads" "${short[@]}" --threads -1

# --- options for a directory that was not given ----------------------------------------
expect 2 "--save-dir" "${short[@]}" --save-every 5
expect 2 "--logdir" "${short[@]}" --log-every 5
expect 2 "--logdir" "${short[@]}" --log-every=1
expect 0 "" "${short[@]}" --save-every 1 --save-dir "$tmp/ck" --log-every 2 --logdir "$tmp/log"

# --- a resumed run with no epoch left -----------------------------------------------------
"$R" train --config toy --epochs 2 --max-steps 2 --threads 1 --save-dir "$tmp/done" > /dev/null 2>&1 ||
  fail "a 2-epoch run failed"
expect 2 "--epochs 2" --resume "$tmp/done/last.safetensors" --epochs 2
expect 0 "" --resume "$tmp/done/last.safetensors" --epochs 3
grep -q '^epoch 3/3' "$tmp/out" || fail "the resumed run did not train epoch 3"
# --stop-at-step counts the run's steps: a resume already past it is refused
expect 1 "--stop-at-step 2: the checkpoint is already at step 4" --resume "$tmp/done/last.safetensors" --epochs 4 --stop-at-step 2

# --- schedules, early stopping, averaging ------------------------------------------------
expect 2 "--average" "${short[@]}" --average 0
expect 2 "--average" "${short[@]}" --average soon
expect 2 "--lr-decay" "${short[@]}" --lr-decay 0
expect 2 "--lr-step" "${short[@]}" --lr-step 0
expect 2 "--lr-schedule" "${short[@]}" --lr-schedule linear
expect 0 "" "${short[@]}" --average 1 --lr-schedule cosine --lr-min 0.001 --patience 1
grep -q '(averaged over 2 steps) - lr ' "$tmp/out" || fail "--average 1 --lr-schedule cosine: $(grep '^epoch 1/' "$tmp/out")"
expect 2 "--lr-schedule" --resume "$tmp/done/last.safetensors" --epochs 4 --lr-schedule step

# --- a run planned in steps: --budget-steps, --average-from ----------------------------------
plan=(--config toy --max-steps 4 --threads 1)
expect 2 "--budget-steps" "${short[@]}" --budget-steps 10          # with --epochs: one length too many
expect 2 "--average-from" "${plan[@]}" --average 2 --average-from 0.5
expect 2 "--budget-steps" "${plan[@]}" --budget-steps -1
expect 2 "--average-from" "${plan[@]}" --average-from 1.5
# 10 steps of 4-step epochs: 2.5 epochs, so 3; averaging from epoch ceil(0.5 * 3) = 2
expect 0 "" "${plan[@]}" --budget-steps 10 --average-from 0.5 --save-dir "$tmp/plan"
grep -q ", 3 epochs of 4 steps," "$tmp/out" || fail "--budget-steps 10: $(grep '^training:' "$tmp/out")"
grep '^epoch 1/3 ' "$tmp/out" | grep -q averaged && fail "--average-from 0.5: epoch 1 averaged"
grep -q '^epoch 2/3 .*(averaged over 4 steps)' "$tmp/out" || fail "--average-from 0.5: $(grep '^epoch 2/3' "$tmp/out")"
# a resume keeps the plan (nothing left after epoch 3); --epochs replaces it
expect 2 "--budget-steps 10 plans 3 epochs" --resume "$tmp/plan/last.safetensors"   # the length came from the budget
expect 0 "" --resume "$tmp/plan/last.safetensors" --epochs 4
grep -q '^epoch 4/4 .*(averaged over 12 steps)' "$tmp/out" || fail "resume --epochs 4: $(grep '^epoch 4/' "$tmp/out")"

# --- a run planned in wall time: --budget-minutes ------------------------------------------
expect 2 "--budget-minutes" "${short[@]}" --budget-minutes 1                 # with --epochs
expect 2 "--budget-minutes" "${plan[@]}" --budget-steps 10 --budget-minutes 1
expect 2 "--budget-minutes" "${plan[@]}" --budget-minutes -1
# the plan: whole epochs, at least one, stored as budget_steps beside budget_minutes (kept as
# first made: made again after each epoch it follows the machine, tests/test_replan.c)
expect 0 "" "${plan[@]}" --budget-minutes 0.002 --plan-fixed --save-dir "$tmp/tplan"
line=$(grep '^plan: time budget 0.002 min: ' "$tmp/out") || fail "--budget-minutes: no plan line: $(head -20 "$tmp/out")"
ep=$(sed -n 's/^training: .*, \([0-9]*\) epochs* of 4 steps,.*/\1/p' "$tmp/out")
[ -n "$ep" ] && [ "$ep" -ge 1 ] || fail "--budget-minutes: $(grep '^training:' "$tmp/out")"
case "$line" in *": $ep epoch"*) ;; *) fail "plan line and training line disagree: $line / $ep";; esac
# the checkpoint's metadata (its JSON header)
meta() {
  python3 - "$1" "$2" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    print(json.loads(f.read(n)).get("__metadata__", {}).get(sys.argv[2], ""))
PY
}
m=$(meta "$tmp/tplan/last.safetensors" config.budget_minutes)
[ "$m" = 0.002 ] || fail "config.budget_minutes is '$m', not 0.002"
m=$(meta "$tmp/tplan/last.safetensors" config.budget_steps)
[ "$m" = $((ep * 4)) ] || fail "config.budget_steps is '$m', not the plan's $((ep * 4))"
# a resume follows the stored plan without timing again; --epochs replaces it
expect 2 "--budget-steps $((ep * 4)) plans $ep epoch" --resume "$tmp/tplan/last.safetensors"
expect 0 "" --resume "$tmp/tplan/last.safetensors" --epochs $((ep + 1))
grep -q '^plan:' "$tmp/out" && fail "a resumed run timed its steps again"
# --plan-max-epochs caps the plan (a minute of 4-step epochs is many more than 2), and
# goes only with a time plan
expect 0 "" "${plan[@]}" --budget-minutes 1 --plan-max-epochs 2
grep -q '^plan: time budget 1 min: 2 epochs of 4 steps, the cap of `plan_max_epochs` (' "$tmp/out" ||
  fail "--plan-max-epochs 2: $(grep '^plan:' "$tmp/out")"
grep -q '^epoch 2/2 ' "$tmp/out" || fail "--plan-max-epochs 2: $(grep '^training:' "$tmp/out")"
expect 2 "--plan-max-epochs" "${plan[@]}" --budget-steps 10 --plan-max-epochs 2
expect 2 "--plan-fixed" "${plan[@]}" --budget-steps 10 --plan-fixed
expect 2 "--plan-max-epochs" "${plan[@]}" --budget-minutes 1 --plan-max-epochs -1
# the preset plans by time and still takes an explicit length
expect 2 "--budget-steps" --config hour --budget-steps 5 --epochs 1
# --plan-min-batch spends the time beyond the cap on smaller batches: a minute of toy steps gets
# the cap's 2 epochs at B = 2 and at B = 1, so 1, stored as the run's batch and kept by a resume
expect 0 "" "${plan[@]}" --budget-minutes 1 --plan-max-epochs 2 --plan-min-batch 1 --save-dir "$tmp/small"
grep -q '^plan: batch B = 1, the smallest of 2..1 whose plan still gets the cap'"'"'s 2 epochs (epochs that fit: B 2: [0-9]*, B 1: [0-9]*); time budget 1 min: 2 epochs of 4 steps, the cap' "$tmp/out" ||
  fail "--plan-min-batch 1: $(grep '^plan:' "$tmp/out")"
grep -q '^training: stateful pipeline, B = 1, ' "$tmp/out" || fail "--plan-min-batch 1: $(grep '^training:' "$tmp/out")"
m=$(meta "$tmp/small/last.safetensors" config.batch)
[ "$m" = 1 ] || fail "config.batch is '$m', not the plan's 1"
expect 0 "" --resume "$tmp/small/last.safetensors" --epochs 3
grep -q '^training: stateful pipeline, B = 1, ' "$tmp/out" || fail "resume of the planned batch: $(grep '^training:' "$tmp/out")"
grep -q '^epoch 3/3 ' "$tmp/out" || fail "resume of the planned batch: $(tail -3 "$tmp/out")"
# a budget with no time to spare keeps the batch, and the line says why
expect 0 "" "${plan[@]}" --budget-minutes 0.002 --plan-max-epochs 100000 --plan-min-batch 1
grep -q '^plan: batch B = 2, the smallest of 2..1 whose plan still gets the cap'"'"'s 100000 epochs (epochs that fit: B 2: [0-9]*); time budget' "$tmp/out" ||
  fail "--plan-min-batch with no time to spare: $(grep '^plan:' "$tmp/out")"
expect 2 "--plan-min-batch" "${plan[@]}" --budget-steps 10 --plan-min-batch 1
expect 2 "--plan-min-batch" "${plan[@]}" --budget-minutes 1 --plan-min-batch 1

# --- presets and regularisers ---------------------------------------------------------------
expect 2 "--config" --config nope --epochs 1
expect 2 "--dropout-emb" "${short[@]}" --dropout-emb 1
expect 2 "--weight-drop" "${short[@]}" --weight-drop -0.1
expect 2 "--dropout-word" "${short[@]}" --dropout-word 1e-300
expect 2 "--ar" "${short[@]}" --ar -1
expect 2 "--tar" "${short[@]}" --tar 1001
expect 2 "--keep-epochs" "${short[@]}" --keep-epochs
expect 2 "--weight-decay" "${short[@]}" --loss sampled --samples 5 --weight-decay 0.01
expect 2 "--valid-split" --config medium --train "$tmp/t.txt" --valid "$tmp/t.txt" --valid-split 0.1
# the medium preset's model and regularisers, as the summary prints them
"$R" summary --config medium > "$tmp/sum" 2>&1 || fail "summary --config medium failed"
cat > "$tmp/want" <<'SUM'
Embedding weights (10000, 400)
Word dropout 0.1
Embedding dropout 0.3 (locked)
Hidden (LSTM) layer 1: input weights (400, 1600), state-input weights (400, 1600), biases (1600,)
Weight drop 0.3 on the state-input weights
Dropout 0.25 (locked)
Hidden (LSTM) layer 2: input weights (400, 1600), state-input weights (400, 1600), biases (1600,)
Weight drop 0.3 on the state-input weights
Dropout 0.4 (locked)
Output layer weights (400, 10000) tied to the embedding (transposed), biases (10000,)
Total parameters: 6573200
SUM
cmp -s "$tmp/sum" "$tmp/want" || fail "summary --config medium: $(diff "$tmp/want" "$tmp/sum")"
# --keep-epochs: one file per epoch, each the weights that epoch was validated with
expect 0 "" --config toy --epochs 3 --max-steps 4 --threads 1 --save-dir "$tmp/keep" --keep-epochs
for e in 1 2 3; do [ -f "$tmp/keep/epoch-$e.safetensors" ] || fail "--keep-epochs: no epoch-$e.safetensors"; done
v3=$(sed -n 's/^epoch 3\/3 .*test_ppl \([0-9.]*\).*/\1/p' "$tmp/out")
e3=$("$R" eval "$tmp/keep/epoch-3.safetensors" --corpus toy --threads 1 | sed -n 's/^perplexity //p')
awk -v a="$v3" -v b="$e3" 'BEGIN { exit !(a != "" && b != "" && (a - b) ^ 2 < 1e-4) }' ||
  fail "--keep-epochs: epoch 3 validated at '$v3', its file evaluates to '$e3'"

# --- --lr-min above the starting rate would raise it: refused for every schedule (the
# library's rnnlm_train_options_check); at or below it, accepted ------------------------
for sched in constant plateau step cosine; do
  expect 2 "--lr-min: 0.02 is above the starting learning rate 0.01" "${short[@]}" --lr-schedule "$sched" --lr 0.01 --lr-min 0.02
  expect 2 "--lr-min" "${short[@]}" --lr-schedule "$sched" --lr-min 0.05   # Adam's default 0.01
  expect 2 "--lr-min" "${short[@]}" --lr-schedule "$sched" --optimizer sgd --lr-min 0.2   # SGD's default 0.1
  expect 0 "" "${short[@]}" --lr-schedule "$sched" --lr 0.01 --lr-min 0.01
  expect 0 "" "${short[@]}" --lr-schedule "$sched" --optimizer sgd --lr-min 0.1
done

# --- --reshuffle: the stateful pipeline's sentences in a new order each epoch; refused where there
# is no stream of sentences to reorder (windows, no markers, one sentence) ---------------------
awk 'BEGIN { for (i = 0; i < 60; i++) print "w" i % 7, "w" (i * 3) % 11, "w" (i * 5) % 13 }' > "$tmp/sents.txt"
rs=(--corpus "$tmp/sents.txt" --epochs 2 --batch-size 2 --max-time 5 --hidden 8 --threads 1)
expect 2 "--reshuffle" "${rs[@]}" --reshuffle --pipeline windowed
expect 1 "--reshuffle" "${rs[@]}" --reshuffle --no-markers
expect 1 "sentence marker" "${short[@]}" --reshuffle
expect 0 "" "${rs[@]}" --reshuffle
grep -q '^training: stateful pipeline (sentences reshuffled each epoch), B = 2,' "$tmp/out" ||
  fail "--reshuffle: $(grep '^training:' "$tmp/out")"
expect 0 "" "${rs[@]}"
grep -q '^training: stateful pipeline, B = 2,' "$tmp/out" || fail "no --reshuffle: $(grep '^training:' "$tmp/out")"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
