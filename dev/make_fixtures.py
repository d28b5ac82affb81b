#!/usr/bin/python3
"""make_fixtures.py: writes the PyTorch reference fixtures that
tests/test_reference.c compares rnnlm against.

Run from anywhere with Debian's Python and its python3-torch (1.13):

    /usr/bin/python3 dev/make_fixtures.py

It needs only torch and the standard library, and is deterministic: the same
torch version writes the same files byte for byte (everything is computed in
float64 on the CPU from fixed seeds).

The model: V=13 words, E=H=6, L=2 layers of LSTM, GRU or simple RNN (tanh),
dropout 0, B=3 rows, T=4 steps, zero initial state. Every weight is drawn
uniform in [-0.5, 0.5) as a float32 (so the C side holds it exactly) and the
reference is computed in float64, so the differences measured by the test are
rnnlm's own float32 rounding.

Conventions, converted to rnnlm's Keras layout (src/model/model.h):
  embedding (V, E)            = nn.Embedding.weight
  <cell>.<l>.kernel (in, G*H) = weight_ih_l<l>^T   (LSTM gates i,f,c,o; GRU r,z,n)
  <cell>.<l>.recurrent_kernel (H, G*H) = weight_hh_l<l>^T
  <cell>.<l>.bias             LSTM, RNN: (G*H) = bias_ih_l<l>; PyTorch's
                              bias_hh_l<l> is held at zero (not trained), so
                              the sum of the two is bias_ih.
                              GRU: (2, 3H): row 0 bias_ih, row 1 bias_hh
                              (n = tanh(W_in x + b_in + r * (W_hn h + b_hn))).
  output.kernel (H, V)        = nn.Linear.weight^T,  output.bias (V)
Gradients use the same names and layout.

The data: a token stream of B rows of NB*T+1 words; batch k (k = 0..NB-1) is
x = stream[:, kT : kT+T], y = stream[:, kT+1 : kT+T+1], so row r of batch k+1
continues row r of batch k (the recipe's truncated BPTT).

Step 0 (initial weights, zero state, batch 0): logits, mean cross-entropy loss,
every gradient, the final hidden (and LSTM cell) state.

Optimiser runs (LSTM fixture all of them, GRU and RNN "adam_keras" only): from
the initial weights and zero state, NB = 5 steps on the successive batches
0..4, carrying the recurrent state from one batch to the next (detached, no
gradient across batches). At step k: loss_k is the loss of batch k with the
weights after k updates; norm_k the global gradient norm before clipping; the
gradient is then clipped as tf.clip_by_global_norm (scaled by clip/norm when
norm > clip, untouched otherwise) and the update applied.
  adam_keras  Keras Adam written out below (lr 0.01, b1 0.9, b2 0.999, eps 1e-7)
  adam_torch  torch.optim.Adam, PyTorch eps placement (eps 1e-3, large enough
              that the placement changes the losses measurably)
  adagrad     torch.optim.Adagrad, lr 0.1, initial accumulator 0.1 (Keras's),
              eps 1e-7 (the rule is Keras's too)
  sgd         torch.optim.SGD, lr 0.1
The clip is chosen so that it triggers on some steps and not others (checked).

File format (tests/fixtures/<cell>.txt), one tensor a line, '#' comments:
    name ndim d0 .. d(ndim-1) v0 v1 ...      (ndim 0: a scalar, one value)
values in row-major order of the given shape, %.9g (which round-trips float32
exactly and keeps float64 references to 1e-9 relative).
Names: config.{cell,V,E,H,L,B,T,NB} (cell: 0 rnn, 1 lstm, 2 gru), tokens
(B, NB*T+1), param.<tensor>, logits (B,T,V), loss, grad.<tensor>, h_final
(L,B,H), c_final (L,B,H) (LSTM), run.<opt>.hparams (8: kind 0 adam 1 adagrad
2 sgd, lr, beta1, beta2, eps, eps_torch, adagrad_init, clip), run.<opt>.loss
(NB), run.<opt>.norm (NB), run.adam_keras.final.<tensor> (LSTM: the weights
after the NB updates).
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

V, E, H, L, B, T, NB = 13, 6, 6, 2, 3, 4, 5
CELLS = {"rnn": 0, "lstm": 1, "gru": 2}
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
SEED = {"rnn": 1001, "lstm": 1002, "gru": 1003}
# global-norm clip per cell: below some step norms and above others (checked)
CLIP = {"rnn": 0.6, "lstm": 0.3, "gru": 0.4}

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")


class Net(torch.nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.cell = cell
        self.emb = torch.nn.Embedding(V, E)
        mod = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
        kw = {"nonlinearity": "tanh"} if cell == "rnn" else {}
        self.rnn = mod(E, H, L, batch_first=True, dropout=0.0, **kw)
        self.out = torch.nn.Linear(H, V)

    def forward(self, x, state):
        o, state = self.rnn(self.emb(x), state)
        return self.out(o), state


def build(cell):
    """The model with its fixed float32-representable weights, in float64."""
    torch.manual_seed(SEED[cell])
    net = Net(cell)
    gen = torch.Generator().manual_seed(SEED[cell])
    with torch.no_grad():
        for name, p in net.named_parameters():
            p.copy_(torch.rand(p.shape, generator=gen, dtype=torch.float32) - 0.5)
            if cell != "gru" and name.startswith("rnn.bias_hh"):
                p.zero_()          # the Keras bias is bias_ih alone
                p.requires_grad_(False)
    net = net.double()
    tokens = torch.randint(V, (B, NB * T + 1), generator=gen)
    return net, tokens


def batch(tokens, k):
    return tokens[:, k * T:k * T + T], tokens[:, k * T + 1:k * T + T + 1]


def zero_state(cell):
    h = torch.zeros(L, B, H, dtype=torch.float64)
    return (h, h.clone()) if cell == "lstm" else h


def detach(state):
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def loss_of(net, x, y, state):
    logits, state = net(x, state)
    return F.cross_entropy(logits.reshape(-1, V), y.reshape(-1)), logits, state


def keras_tensors(net, use_grad):
    """[(rnnlm name, tensor in Keras layout)] of the weights or their gradients."""
    cell = net.cell

    def get(p):
        return p.grad if use_grad else p.detach()

    out = [("embedding", get(net.emb.weight))]
    for l in range(L):
        pre = "%s.%d." % (cell, l)
        wih = get(getattr(net.rnn, "weight_ih_l%d" % l))
        whh = get(getattr(net.rnn, "weight_hh_l%d" % l))
        bih = get(getattr(net.rnn, "bias_ih_l%d" % l))
        bhh = getattr(net.rnn, "bias_hh_l%d" % l)
        out.append((pre + "kernel", wih.t()))
        out.append((pre + "recurrent_kernel", whh.t()))
        if cell == "gru":
            out.append((pre + "bias", torch.stack([bih, get(bhh)])))
        else:
            assert not bhh.requires_grad and float(bhh.abs().max()) == 0.0
            out.append((pre + "bias", bih))
    out.append(("output.kernel", get(net.out.weight).t()))
    out.append(("output.bias", get(net.out.bias)))
    return out


def global_clip(params, clip):
    """tf.clip_by_global_norm over the .grad of params; returns the norm."""
    sq = sum(float((p.grad.double() ** 2).sum()) for p in params)
    norm = math.sqrt(sq)
    if norm > clip:
        for p in params:
            p.grad.mul_(clip / norm)
    return norm


class KerasAdam:
    """Keras's Adam: eps added to sqrt(v) before the bias correction of lr."""

    def __init__(self, params, lr, beta1, beta2, eps):
        self.params, self.lr, self.b1, self.b2, self.eps = params, lr, beta1, beta2, eps
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    @torch.no_grad()
    def step(self):
        self.t += 1
        a = self.lr * math.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            m.add_((g - m) * (1 - self.b1))
            v.add_((g * g - v) * (1 - self.b2))
            p.sub_(a * m / (v.sqrt() + self.eps))

    def zero_grad(self):
        for p in self.params:
            p.grad = None


# name: (kind, lr, beta1, beta2, eps, eps_torch, adagrad_init)
RUNS = {
    "adam_keras": (0, 0.01, 0.9, 0.999, 1e-7, 0, 0.0),
    "adam_torch": (0, 0.01, 0.9, 0.999, 1e-3, 1, 0.0),
    "adagrad": (1, 0.1, 0.0, 0.0, 1e-7, 0, 0.1),
    "sgd": (2, 0.1, 0.0, 0.0, 0.0, 0, 0.0),
}


def make_opt(run, params):
    kind, lr, b1, b2, eps, eps_torch, init = RUNS[run]
    if run == "adam_keras":
        return KerasAdam(params, lr, b1, b2, eps)
    if run == "adam_torch":
        return torch.optim.Adam(params, lr=lr, betas=(b1, b2), eps=eps)
    if run == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, eps=eps, initial_accumulator_value=init)
    return torch.optim.SGD(params, lr=lr)


def train_run(cell, run, clip):
    net, tokens = build(cell)
    params = [p for p in net.parameters() if p.requires_grad]
    opt = make_opt(run, params)
    state = zero_state(cell)
    losses, norms = [], []
    for k in range(NB):
        x, y = batch(tokens, k)
        opt.zero_grad()
        loss, _, state = loss_of(net, x, y, state)
        state = detach(state)
        loss.backward()
        losses.append(float(loss))
        norms.append(global_clip(params, clip))
        opt.step()
    return losses, norms, net


def fmt(vals):
    return " ".join("%.9g" % v for v in vals)


def line(name, t):
    t = torch.as_tensor(t, dtype=torch.float64)
    dims = list(t.shape)
    return "%s %d%s %s\n" % (name, len(dims), "".join(" %d" % d for d in dims),
                             fmt(t.reshape(-1).tolist()))


def make(cell):
    torch.set_num_threads(1)
    net, tokens = build(cell)
    x, y = batch(tokens, 0)
    loss, logits, state = loss_of(net, x, y, zero_state(cell))
    loss.backward()

    lines = ["# rnnlm reference fixture: %s; written by dev/make_fixtures.py (torch %s), "
             "do not edit\n" % (cell, torch.__version__)]
    for k, v in (("cell", CELLS[cell]), ("V", V), ("E", E), ("H", H), ("L", L), ("B", B),
                 ("T", T), ("NB", NB)):
        lines.append(line("config." + k, v))
    lines.append(line("tokens", tokens))
    for name, w in keras_tensors(net, False):
        lines.append(line("param." + name, w))
    lines.append(line("logits", logits.detach()))
    lines.append(line("loss", loss.detach()))
    for name, g in keras_tensors(net, True):
        lines.append(line("grad." + name, g))
    if cell == "lstm":
        lines.append(line("h_final", state[0].detach()))
        lines.append(line("c_final", state[1].detach()))
    else:
        lines.append(line("h_final", state.detach()))

    clip = CLIP[cell]
    for run in (RUNS if cell == "lstm" else ["adam_keras"]):
        losses, norms, trained = train_run(cell, run, clip)
        clipped = [n > clip for n in norms]
        if run.startswith("adam") and not (any(clipped) and not all(clipped)):
            sys.exit("%s %s: clip %g must trigger on some steps only; norms %s"
                     % (cell, run, clip, norms))
        kind, lr, b1, b2, eps, eps_torch, init = RUNS[run]
        lines.append(line("run.%s.hparams" % run, [kind, lr, b1, b2, eps, eps_torch, init, clip]))
        lines.append(line("run.%s.loss" % run, losses))
        lines.append(line("run.%s.norm" % run, norms))
        print("%s %-10s losses %s norms %s" % (cell, run, fmt(losses), fmt(norms)))
        if cell == "lstm" and run == "adam_keras":
            for name, w in keras_tensors(trained, False):
                lines.append(line("run.%s.final.%s" % (run, name), w))
    path = os.path.join(OUT, cell + ".txt")
    with open(path + ".tmp", "w") as f:
        f.writelines(lines)
    os.replace(path + ".tmp", path)
    print("wrote %s (%d bytes)" % (os.path.normpath(path), os.path.getsize(path)))


def read_fixture(path):
    """{name: float64 tensor} of a fixture file."""
    out = {}
    with open(path) as f:
        for ln in f:
            if ln.startswith("#") or not ln.strip():
                continue
            tok = ln.split()
            nd = int(tok[1])
            shape = [int(d) for d in tok[2:2 + nd]]
            vals = [float(v) for v in tok[2 + nd:]]
            out[tok[0]] = torch.tensor(vals, dtype=torch.float64).reshape(shape)
    return out


def keras_forward(cell, w, x, y):
    """The model written out in Keras layout from the equations of model.h,
    independent of nn.LSTM / nn.GRU / nn.RNN: checks the layout conversion."""
    B_, T_ = x.shape
    inp = w["embedding"][x]                                  # (B, T, E)
    finals = []
    for l in range(L):
        k = w["%s.%d.kernel" % (cell, l)]
        rk = w["%s.%d.recurrent_kernel" % (cell, l)]
        b = w["%s.%d.bias" % (cell, l)]
        h = torch.zeros(B_, H, dtype=torch.float64)
        c = torch.zeros(B_, H, dtype=torch.float64)
        outs = []
        for t in range(T_):
            xt = inp[:, t]
            if cell == "lstm":
                z = xt @ k + h @ rk + b
                i, f, g, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            elif cell == "gru":
                a = xt @ k + b[0]
                r_ = h @ rk + b[1]
                r = torch.sigmoid(a[:, :H] + r_[:, :H])
                zz = torch.sigmoid(a[:, H:2 * H] + r_[:, H:2 * H])
                n = torch.tanh(a[:, 2 * H:] + r * r_[:, 2 * H:])
                h = (1 - zz) * n + zz * h
            else:
                h = torch.tanh(xt @ k + h @ rk + b)
            outs.append(h)
        inp = torch.stack(outs, 1)
        finals.append((h, c))
    logits = inp @ w["output.kernel"] + w["output.bias"]
    loss = -torch.log_softmax(logits, -1).gather(-1, y.unsqueeze(-1)).mean()
    return loss, logits, finals


def self_check(cell):
    """Re-reads the written file and recomputes batch 0 from it alone."""
    fx = read_fixture(os.path.join(OUT, cell + ".txt"))
    tok = fx["tokens"].long()
    x, y = tok[:, :T], tok[:, 1:T + 1]
    w = {k[6:]: v.clone().requires_grad_(True) for k, v in fx.items() if k.startswith("param.")}
    loss, logits, finals = keras_forward(cell, w, x, y)
    loss.backward()
    errs = [abs(float(loss) - float(fx["loss"])), float((logits - fx["logits"]).abs().max()),
            float((torch.stack([h for h, _ in finals]) - fx["h_final"]).abs().max())]
    if cell == "lstm":
        errs.append(float((torch.stack([c for _, c in finals]) - fx["c_final"]).abs().max()))
    errs += [float((w[k].grad - fx["grad." + k]).abs().max()) for k in w]
    if max(errs) > 1e-7:
        sys.exit("%s: the Keras-layout recomputation differs by %g" % (cell, max(errs)))
    print("%s: Keras-layout recomputation agrees (max abs diff %.1e)" % (cell, max(errs)))


def main():
    os.makedirs(OUT, exist_ok=True)
    for cell in ("lstm", "gru", "rnn"):
        make(cell)
        self_check(cell)


if __name__ == "__main__":
    main()
