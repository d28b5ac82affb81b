#!/usr/bin/python3
"""torch_score.py: an independent check of `rnnlm score` with PyTorch.

    torch_score.py MODEL SCORES        compare
    torch_score.py --strip IN OUT      copy a checkpoint without its train.* tensors

MODEL is an rnnlm checkpoint (docs/FORMAT.md); SCORES is the output of
`rnnlm score MODEL FILE --ids`: per line logprob, log10prob, words, oovs,
ppl and the words' ids. The checkpoint is read with json and struct only (no
safetensors package) into nn.Embedding, nn.LSTM / nn.GRU / nn.RNN
(num_layers L, batch_first) and nn.Linear under the names of FORMAT.md, and
run in float64, so the difference measured is rnnlm's fp32 error. Each
sentence is scored as rnnlm_score_sentence does: input <s> (id 0) and the
words, targets the words and the closing <s>; the sum of the targets'
log-softmax.

Tolerance: |rnnlm - torch| <= 1e-5 * max(1, |torch|) on every sentence's
natural-log probability (absolute below 1 in magnitude, relative above);
exit status 1 when a sentence exceeds it. Needs only Debian's python3-torch.
"""
import json
import struct
import sys

import torch
from torch import nn

TOL = 1e-5


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    return raw, n, header, meta


def load_tensors(path):
    raw, n, header, meta = read_safetensors(path)
    base = 8 + n
    tensors = {}
    for name, t in header.items():
        if t["dtype"] != "F32":
            raise SystemExit(f"{path}: {name}: dtype {t['dtype']}, expected F32")
        b, e = t["data_offsets"]
        buf = bytearray(raw[base + b:base + e])
        x = torch.frombuffer(buf, dtype=torch.float32) if buf else torch.zeros(0)
        tensors[name] = x.reshape(t["shape"]).clone()
    return tensors, meta


class RNNLM(nn.Module):
    def __init__(self, V, E, H, L, cell):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell](
            E, H, num_layers=L, batch_first=True)
        self.output = nn.Linear(H, V)

    def forward(self, x):
        y, _ = self.rnn(self.embedding(x))
        return torch.log_softmax(self.output(y), dim=-1)


def build(path):
    tensors, meta = load_tensors(path)
    if meta.get("format") != "rnnlm":
        raise SystemExit(f"{path}: not an rnnlm checkpoint")
    V, E, H, L = (int(meta[k]) for k in ("vocab_size", "embedding_dim", "hidden_size", "num_layers"))
    model = RNNLM(V, E, H, L, meta["cell"])
    sd = {k: v for k, v in tensors.items() if not k.startswith("train.")}
    if meta.get("tied") == "1":
        sd["output.weight"] = sd["embedding.weight"]
    model.load_state_dict(sd, strict=True)
    return model.double().eval(), V


def strip(src, dst):
    raw, n, header, meta = read_safetensors(src)
    base = 8 + n
    keep = sorted((v["data_offsets"][0], k) for k, v in header.items() if not k.startswith("train."))
    out_header, chunks, off = {}, [], 0
    for _, k in keep:
        t = header[k]
        b, e = t["data_offsets"]
        out_header[k] = {"dtype": t["dtype"], "shape": t["shape"], "data_offsets": [off, off + e - b]}
        chunks.append(raw[base + b:base + e])
        off += e - b
    out_header["__metadata__"] = meta
    hj = json.dumps(out_header, sort_keys=True, separators=(",", ":")).encode()
    hj += b" " * (-len(hj) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(hj)) + hj + b"".join(chunks))


def main(argv):
    if len(argv) == 4 and argv[1] == "--strip":
        strip(argv[2], argv[3])
        return 0
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    model, V = build(argv[1])
    worst_abs, worst_rel, n, bad = 0.0, 0.0, 0, 0
    with open(argv[2]) as f, torch.no_grad():
        for lineno, line in enumerate(f, 1):
            if line.startswith("\t"):
                continue  # --per-word lines
            cols = line.rstrip("\n").split("\t")
            if len(cols) != 6:
                raise SystemExit(f"{argv[2]}:{lineno}: expected 6 columns (rnnlm score --ids)")
            ours = float(cols[0])
            ids = [int(t) for t in cols[5].split()]
            x = torch.tensor([[0] + ids])
            y = torch.tensor(ids + [0])
            lp = model(x)[0].gather(1, y[:, None]).sum().item()
            d = abs(ours - lp)
            worst_abs = max(worst_abs, d)
            worst_rel = max(worst_rel, d / max(1.0, abs(lp)))
            n += 1
            if d > TOL * max(1.0, abs(lp)):
                bad += 1
                print(f"line {lineno}: rnnlm {ours:.6f} torch {lp:.6f} differ by {d:.3g}")
    print(f"{n} sentences; max |rnnlm - torch| {worst_abs:.3g} nats; "
          f"max |diff| / max(1, |torch|) {worst_rel:.3g} (tolerance {TOL:g})")
    return 1 if bad or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
