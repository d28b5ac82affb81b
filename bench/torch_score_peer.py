#!/usr/bin/python3
"""torch_score_peer.py MODEL SENTENCES THREADS: PyTorch's scoring throughput on
the same model and sentences as `rnnlm score` (bench/bench_score.sh).

The checkpoint is loaded as dev/torch_score.py loads it, kept in float32 (as
rnnlm computes), and every sentence scored with rnnlm's semantics (<s> then the
words as input; the words then <s> as targets): sentences sorted by length in
batches of 64, padded, one forward pass (nn.Embedding, nn.LSTM, nn.Linear,
log_softmax) per batch under torch.no_grad. Word ids come from the third
argument's sibling file SENTENCES.ids (rnnlm score --ids, column 6), so the
vocabulary mapping is rnnlm's. Prints the predicted tokens, the total
log-probability, the best of 2 times (model loading excluded) and tokens/s.
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dev"))
from torch_score import build  # noqa: E402


def main():
    path, ids_path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    model, V = build(path)
    model = model.float()
    sents = []
    with open(ids_path) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            sents.append([int(t) for t in cols[5].split()] if len(cols) > 5 else [])
    order = sorted(range(len(sents)), key=lambda i: -len(sents[i]))
    tokens = sum(len(s) + 1 for s in sents)
    best, total = None, 0.0
    for _ in range(2):
        t0 = time.perf_counter()
        total = 0.0
        with torch.no_grad():
            for b0 in range(0, len(order), 64):
                batch = [sents[i] for i in order[b0:b0 + 64]]
                T = max(len(s) for s in batch) + 1
                x = torch.zeros(len(batch), T, dtype=torch.long)
                y = torch.zeros(len(batch), T, dtype=torch.long)
                mask = torch.zeros(len(batch), T)
                for r, s in enumerate(batch):
                    x[r, 1:len(s) + 1] = torch.tensor(s, dtype=torch.long)
                    y[r, :len(s)] = torch.tensor(s, dtype=torch.long)
                    mask[r, :len(s) + 1] = 1
                lp = model(x).gather(2, y[:, :, None])[:, :, 0]
                total += float((lp * mask).double().sum())
        dt = time.perf_counter() - t0
        best = dt if best is None or dt < best else best
    print(f"tokens {tokens}")
    print(f"logprob {total:.1f}")
    print(f"best_s {best:.3f}")
    print(f"tokens_per_s {tokens / best:.0f}")


if __name__ == "__main__":
    main()
