#!/usr/bin/env bash
# test_interop.sh: `rnnlm score` agrees with an independent PyTorch
# implementation (dev/torch_score.py: nn.Embedding + nn.LSTM/GRU/RNN +
# nn.Linear loaded from the checkpoint, run in float64) within
# 1e-5 * max(1, |logprob|) on every sentence: for tests/data/tiny.safetensors
# and for small models of each cell kind (tied embeddings too) trained here.
# Skips (tests/lib.sh: exit 77; a failure under CI=true) when /usr/bin/python3
# has no torch.
# Env: BUILD, the build directory holding rnnlm (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
R=${BUILD:-build}/rnnlm
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  skip "/usr/bin/python3 has no torch (apt-get install python3-torch)"
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/rnnlm_interop.XXXXXX"); trap 'rm -rf "$dir"' EXIT
awk 'BEGIN { s = 11; for (i = 0; i < 600; i++) { n = 3 + i % 11; line = "";
  for (j = 0; j < n; j++) { s = (s * 1103515245 + 12345) % 2147483648; line = line " W" int(s / 65536) % 90 }
  print line } }' > "$dir/corpus.txt"
head -n 40 "$dir/corpus.txt" > "$dir/sents.txt"
printf 'w1 unseen-word W2 W3\n\n1,000 W5\n' >> "$dir/sents.txt"

check() {   # check MODEL TEXT
  "$R" score "$1" "$2" --ids --threads 1 > "$dir/scores.txt"
  /usr/bin/python3 dev/torch_score.py "$1" "$dir/scores.txt"
}

printf 'Mary had a little lamb .\nThe lamb was white as snow .\n\n<s> Mary And had\n' > "$dir/toy.txt"
out=$(check tests/data/tiny.safetensors "$dir/toy.txt"); echo "tiny.safetensors: $out"
for cfg in "lstm 2 0" "gru 2 0" "rnn 3 0" "lstm 1 1"; do
  set -- $cfg
  tied=(); [ "$3" = 1 ] && tied=(--tied)
  "$R" train --corpus "$dir/corpus.txt" --vocab-size 60 --cell "$1" --layers "$2" "${tied[@]}" \
    --hidden 16 --batch-size 4 --max-time 10 --epochs 1 --max-steps 40 --threads 1 \
    --save-dir "$dir/m" --overwrite > /dev/null   # one model after another in one directory
  out=$(check "$dir/m/last.safetensors" "$dir/sents.txt"); echo "$cfg: $out"
done
