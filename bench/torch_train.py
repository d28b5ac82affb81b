#!/usr/bin/python3
"""The peer of bench/bench_train.sh: the recipe's industrial model in PyTorch
(Debian's python3-torch), trained as rnnlm trains it: embedding (V, H), a
2-layer LSTM with dropout after each layer, dense (H, V), mean cross-entropy,
Adam 0.01 eps 1e-7, global-norm clip 5, stateful truncated BPTT (B rows, T
steps, state carried and detached). Prints tokens_per_s and peak_rss_mb.

usage: torch_train.py --threads N --steps S [--warmup W] [--eval]
--eval times the forward pass alone (evaluation, no dropout, no gradient).
"""
import argparse
import resource
import time

import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=1)
p.add_argument("--steps", type=int, default=30)
p.add_argument("--warmup", type=int, default=3)
p.add_argument("--V", type=int, default=10000)
p.add_argument("--H", type=int, default=200)
p.add_argument("--L", type=int, default=2)
p.add_argument("--B", type=int, default=100)
p.add_argument("--T", type=int, default=25)
p.add_argument("--eval", action="store_true")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(a.V, a.H)
        self.layers = nn.ModuleList([nn.LSTM(a.H, a.H, batch_first=True) for _ in range(a.L)])
        self.drop = nn.Dropout(0.1)
        self.output = nn.Linear(a.H, a.V)

    def forward(self, x, state):
        h = self.embedding(x)
        new = []
        for layer, s in zip(self.layers, state):
            h, s2 = layer(h, s)
            h = self.drop(h)
            new.append(s2)
        return self.output(h), new


m = Model()
opt = torch.optim.Adam(m.parameters(), lr=0.01, eps=1e-7)
lossf = nn.CrossEntropyLoss()
n = (a.steps + a.warmup + 1) * a.B * a.T + 1
stream = torch.randint(0, a.V, (n,))
rows = stream[: (n - 1) // a.B * a.B].view(a.B, -1)
targets = stream[1 : (n - 1) // a.B * a.B + 1].view(a.B, -1)
zero = lambda: [(torch.zeros(1, a.B, a.H), torch.zeros(1, a.B, a.H)) for _ in range(a.L)]
state = zero()
if a.eval:
    m.eval()
t0 = None
for k in range(a.steps + a.warmup):
    if k == a.warmup:
        t0 = time.perf_counter()
    x = rows[:, k * a.T : (k + 1) * a.T]
    y = targets[:, k * a.T : (k + 1) * a.T]
    if a.eval:
        with torch.no_grad():
            logits, state = m(x, state)
            loss = lossf(logits.reshape(-1, a.V), y.reshape(-1))
        continue
    state = [(h.detach(), c.detach()) for h, c in state]
    logits, state = m(x, state)
    loss = lossf(logits.reshape(-1, a.V), y.reshape(-1))
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 5.0)
    opt.step()
dt = time.perf_counter() - t0
print("tokens_per_s %.1f" % (a.steps * a.B * a.T / dt))
print("peak_rss_mb %.1f" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0))
