#!/usr/bin/env bash
# Data-parallel training under mpirun (docs/SCALING.md), on this machine's
# loopback, every run bounded by `timeout`:
#  - equality: with dropout 0, 2 and 3 ranks sharing the global batch give
#    the per-step losses (log.csv, --log-every 1) of one process with the
#    same batch within 1e-5 relative over 50 steps, and its weights (and the
#    gathered carried state of a run cut mid-epoch) within 1e-5: the stateful
#    and windowed pipelines, the full and the sampled loss, a plain-text
#    corpus and the toy corpus;
#  - the test figures printed under MPI are one process's, and a checkpoint
#    written under MPI evaluates in a one-process `rnnlm eval` to the same
#    perplexity as one process's checkpoint;
#  - rank 0 alone writes; a batch the ranks do not divide is refused (also on
#    resume under another N, which otherwise continues the run); ranks whose
#    weights differ are stopped at the epoch's end, naming the rank;
#  - --batch-per-rank makes the global batch;
#  - a rank killed mid-epoch ends the job non-zero within 30 s with a
#    message naming a rank; last.safetensors is intact and the run resumed
#    from it under the same N ends byte-identical to the run never killed.
# Without mpirun, or with an rnnlm built without MPI, it is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
R=${BUILD:-build}/rnnlm
command -v mpirun >/dev/null || skip "no mpirun (openmpi-bin)"
need_python
"$PY" -c 'import numpy' 2>/dev/null || skip "no numpy for $PY"
dir=$(mktemp -d); [ -n "${KEEP:-}" ] || trap 'rm -rf "$dir"' EXIT
# as root, more ranks than cores, shared memory without the kernel's
# cross-process copy (containers forbid ptrace): what a container needs
MP=(timeout 120 mpirun --allow-run-as-root --oversubscribe --mca btl self,vader
    --mca btl_vader_single_copy_mechanism none)
CMP=(tests/mpi_compare.py)

# a small deterministic plain-text corpus: 1,500 sentences over 400 words
awk 'BEGIN { s = 7; for (i = 0; i < 1500; i++) { n = 5 + i % 9; line = "";
  for (j = 0; j < n; j++) { s = (s * 1103515245 + 12345) % 2147483648; line = line " w" int(s / 65536) % 400 }
  print line } }' > "$dir/corpus.txt"
awk 'BEGIN { s = 99; for (i = 0; i < 100; i++) { n = 5 + i % 9; line = "";
  for (j = 0; j < n; j++) { s = (s * 1103515245 + 12345) % 2147483648; line = line " w" int(s / 65536) % 400 }
  print line } }' > "$dir/held.txt"
base=(--corpus "$dir/corpus.txt" --vocab-size 300 --batch-size 12 --max-time 10 --threads 1 --dropout 0
      --hidden 32 --layers 1)

# a build without MPI says so under mpirun: then nothing here can run
if ! "${MP[@]}" -np 2 "$R" train "${base[@]}" --epochs 1 --max-steps 2 > "$dir/probe.log" 2>&1; then
  grep -q "built without MPI" "$dir/probe.log" && skip "$R was built without MPI (libopenmpi-dev)"
  cat "$dir/probe.log"; echo "FAIL: a 2-rank run failed"; exit 1
fi

# figures LOG: the epoch and test lines' figures, without timings (mpirun
# hands the ranks a terminal: progress lines end in carriage returns)
figures() { tr '\r' '\n' < "$1" | sed 's/\x1b\[K//g' | grep -aE '^epoch [0-9]+/|^test:' | sed 's/^.*- train_loss/train_loss/; s/^test: .*, epoch/test: epoch/'; }

# same NAME N ARGS...: ARGS in one process (NAME/one, once per NAME) and under
# N ranks (NAME/N): losses and weights equal; the figures printed too
same() {
  local name=$1 n=$2; shift 2
  local d="$dir/$name"
  mkdir -p "$d"
  if [ ! -d "$d/one" ]; then
    timeout 120 "$R" train "$@" --log-every 1 --logdir "$d/one" --save-dir "$d/one" > "$d/one.log" 2>&1 ||
      { cat "$d/one.log"; exit 1; }
  fi
  "${MP[@]}" -np "$n" "$R" train "$@" --log-every 1 --logdir "$d/$n" --save-dir "$d/$n" > "$d/$n.log" 2>&1 ||
    { cat "$d/$n.log"; echo "FAIL: $name under $n ranks"; exit 1; }
  grep -q "data parallel: $n ranks" "$d/$n.log"
  echo "$name, $n ranks:"
  "$PY" "${CMP[@]}" losses "$d/one/log.csv" "$d/$n/log.csv" 50 1e-5
  "$PY" "${CMP[@]}" state "$d/one/last.safetensors" "$d/$n/last.safetensors" 1e-5
  # the epoch lines' figures (validation and test split across the ranks) are one process's
  diff <(figures "$d/one.log") <(figures "$d/$n.log")
}

# stateful, full softmax: 60 steps of an epoch, cut at step 50 (mid-epoch:
# last.safetensors holds the carried state of every rank's rows, gathered)
st=("${base[@]}" --epochs 1 --max-steps 60 --stop-at-step 50)
same stateful 2 "${st[@]}"
same stateful 3 "${st[@]}"
# a GRU (one state tensor a layer, not the LSTM's two)
same gru 2 "${st[@]}" --cell gru
# the communication a step is logged beside the batch scalars, under MPI only
grep -q ',comm_seconds_per_step,' "$dir/stateful/2/log.csv"
if grep -q ',comm_seconds_per_step,' "$dir/stateful/one/log.csv"; then
  echo "FAIL: one process logged communication"; exit 1
fi
# resume under another N: the 2 ranks' checkpoint cut at step 50 (the
# carried state of all 12 rows, gathered) finishes the epoch under 3 ranks as
# the one-process checkpoint does in one process; 5 ranks do not divide B
cp -r "$dir/stateful/one" "$dir/re1"; cp -r "$dir/stateful/2" "$dir/re3"; cp -r "$dir/stateful/2" "$dir/re5"
timeout 120 "$R" train --resume "$dir/re1/last.safetensors" --save-dir "$dir/re1" > "$dir/re1.log"
"${MP[@]}" -np 3 "$R" train --resume "$dir/re3/last.safetensors" --save-dir "$dir/re3" > "$dir/re3.log" 2>&1 ||
  { cat "$dir/re3.log"; exit 1; }
grep -aq "resumed from .* at epoch 1, step 50" "$dir/re3.log"
echo "resumed under 3 ranks from 2 ranks' checkpoint:"
"$PY" "${CMP[@]}" weights "$dir/re1/last.safetensors" "$dir/re3/last.safetensors" 1e-5
# and in one process
cp -r "$dir/stateful/2" "$dir/re2to1"
timeout 120 "$R" train --resume "$dir/re2to1/last.safetensors" --save-dir "$dir/re2to1" > "$dir/re2to1.log"
echo "resumed in one process from 2 ranks' checkpoint:"
"$PY" "${CMP[@]}" weights "$dir/re1/last.safetensors" "$dir/re2to1/last.safetensors" 1e-5
if "${MP[@]}" -np 5 "$R" train --resume "$dir/re5/last.safetensors" --save-dir "$dir/re5" > "$dir/re5.log" 2>&1; then
  echo "FAIL: a resume under 5 ranks of B = 12 was accepted"; exit 1
fi
grep -q "does not divide among 5 ranks" "$dir/re5.log"

# --batch-per-rank 6 on 2 ranks is the global batch of 12 (the lr unscaled)
"${MP[@]}" -np 2 "$R" train "${st[@]}" --batch-size 4 --batch-per-rank 6 --log-every 1 --logdir "$dir/bpr" \
  > "$dir/bpr.log" 2>&1 || { cat "$dir/bpr.log"; exit 1; }
grep -aq "B = 12, T = 10, adam lr 0.01," "$dir/bpr.log"
"$PY" "${CMP[@]}" losses "$dir/stateful/one/log.csv" "$dir/bpr/log.csv" 50 1e-5

# windowed, full softmax; the sampled loss in both pipelines (the same
# candidates on every rank, the union of the touched rows updated)
wi=("${base[@]}" --pipeline windowed --epochs 1 --max-steps 50)
same windowed 2 "${wi[@]}"
same windowed 3 "${wi[@]}"
sa=("${base[@]}" --loss sampled --samples 64 --epochs 1 --max-steps 50)
same sampled 2 "${sa[@]}"
same sampled 3 "${sa[@]}"
sw=("${base[@]}" --loss sampled --samples 64 --pipeline windowed --epochs 1 --max-steps 50)
same sampled-windowed 3 "${sw[@]}"
# the toy corpus: 50 epochs of one step of B = 2 rows (one a rank)
same toy 2 --config toy --dropout 0 --threads 1 --epochs 50

# the run's other options: a plateau schedule, averaged weights, weight
# decay, tied embeddings, a checkpoint an epoch
same options 2 "${base[@]}" --epochs 3 --max-steps 17 --valid-split 0.1 --lr-schedule plateau --lr-patience 0 \
  --average auto --keep-epochs --weight-decay 0.001 --tied --embed 32
"$PY" "${CMP[@]}" weights "$dir/options/one/epoch-2.safetensors" "$dir/options/2/epoch-2.safetensors" 1e-5

# full epochs with validation and the test at the end; a checkpoint written
# under MPI in a one-process eval: one process's perplexity
full=("${base[@]}" --epochs 2 --max-steps 30 --valid-split 0.1)
same epochs 2 "${full[@]}"
grep -q '^test:' "$dir/epochs/one.log"
e1=$("$R" eval "$dir/epochs/one/best.safetensors" "$dir/held.txt" --threads 1 | grep '^perplexity')
e2=$("$R" eval "$dir/epochs/2/best.safetensors" "$dir/held.txt" --threads 1 | grep '^perplexity')
echo "eval: one process's checkpoint $e1, 2 ranks' $e2"
[ "$e1" = "$e2" ]

# rank 0 alone writes: no lock or file of another rank's; a batch the ranks
# do not divide is refused, naming it
ls -A "$dir/epochs/2" | sort > "$dir/files2"; ls -A "$dir/epochs/one" | sort > "$dir/files1"
diff "$dir/files1" "$dir/files2"
if "${MP[@]}" -np 5 "$R" train "${base[@]}" --epochs 1 --max-steps 2 > "$dir/odd.log" 2>&1; then
  echo "FAIL: B = 12 on 5 ranks was accepted"; exit 1
fi
grep -q "does not divide among 5 ranks" "$dir/odd.log"

# ranks whose weights part (here rank 1 given another --lr, as a job of two
# programs): the epoch-end checksum stops the run naming the rank, and
# nothing of that epoch is saved
mkdir -p "$dir/diverge"
if "${MP[@]}" -np 1 "$R" train "${base[@]}" --epochs 1 --max-steps 5 --save-dir "$dir/diverge" : \
     -np 1 "$R" train "${base[@]}" --epochs 1 --max-steps 5 --save-dir "$dir/diverge" --lr 0.02 \
     > "$dir/diverge.log" 2>&1; then
  echo "FAIL: ranks with different weights were not noticed"; exit 1
fi
grep -a "weights differ" "$dir/diverge.log" | head -n 1
grep -aq "rank 1's checksum" "$dir/diverge.log"
test ! -e "$dir/diverge/last.safetensors"

# a rank killed mid-epoch: the job ends non-zero within 30 s naming a rank;
# the run resumed from last.safetensors under 2 ranks is the one never killed
# (a wider model and longer batches than above, so that an epoch outlasts the
# time it takes to notice the first checkpoint and kill)
kill_run=("${base[@]}" --hidden 128 --layers 2 --max-time 20 --epochs 2 --max-steps 300 --save-every 7)
k="$dir/kill"; mkdir -p "$k"
"${MP[@]}" -np 2 "$R" train "${kill_run[@]}" --save-dir "$k/straight" > "$k/straight.log" 2>&1
for attempt in 1 2 3 4 5; do
  rm -rf "$k/killed"
  mpirun --allow-run-as-root --oversubscribe --mca btl self,vader --mca btl_vader_single_copy_mechanism none \
    -np 2 "$R" train "${kill_run[@]}" --save-dir "$k/killed" > "$k/killed.log" 2>&1 &
  mp=$!
  for _ in $(seq 500); do [ -f "$k/killed/last.safetensors" ] && break; sleep 0.02; done
  sleep "0.0$((RANDOM % 10))"
  victim=$(pgrep -P "$mp" -f "rnnlm train" | tail -n 1 || true)
  [ -n "$victim" ] && kill -9 "$victim" 2>/dev/null || true
  t0=$SECONDS
  for _ in $(seq 300); do kill -0 "$mp" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$mp" 2>/dev/null; then
    kill -9 "$mp"; echo "FAIL: the job was still running 30 s after a rank was killed"; exit 1
  fi
  rc=0; wait "$mp" || rc=$?
  if [ -n "$victim" ] && ! grep -aq "^epoch 2/2" "$k/killed.log"; then break; fi   # killed before its end
  echo "NOTE: the run ended before the kill (attempt $attempt); trying again"
done
echo "NOTE: killed rank's job: exit status $rc after $((SECONDS - t0)) s"
[ "$rc" -ne 0 ]
grep -aiE "rank [0-9]" "$k/killed.log" | grep -aiE "signal|killed|exited|abort" | head -n 2
test -f "$k/killed/last.safetensors"
"${MP[@]}" -np 2 "$R" train --resume "$k/killed/last.safetensors" --save-dir "$k/killed" > "$k/resumed.log" 2>&1 ||
  { cat "$k/resumed.log"; exit 1; }
grep -a "resumed from" "$k/resumed.log"
cmp "$k/straight/last.safetensors" "$k/killed/last.safetensors"
cmp "$k/straight/best.safetensors" "$k/killed/best.safetensors"
echo "test_mpi: all passed"
