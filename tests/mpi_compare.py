"""mpi_compare.py: compares two training runs for tests/test_mpi.sh.

  mpi_compare.py losses A/log.csv B/log.csv STEPS TOL
      the batch_loss of steps 1..STEPS in both CSV logs (docs/FORMAT.md) agree
      within TOL relative
  mpi_compare.py weights A.safetensors B.safetensors TOL
      every tensor of the model (not the "train." state) agrees within TOL,
      relative to the tensor's largest magnitude
  mpi_compare.py state A.safetensors B.safetensors TOL
      train.carried_state too (the gathered rows of every rank)

Prints the largest differences; exit status 1 when they are over TOL.
safetensors is read here with the standard library and numpy: an 8-byte
little-endian header length, a JSON header, then the raw tensors."""
import csv
import json
import struct
import sys

import numpy as np


def losses(path):
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["run"] == "train" and row["tag"] == "batch_loss":
                out[int(row["step"])] = float(row["value"])
    return out


def tensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    head = json.loads(blob[8:8 + n])
    base = 8 + n
    out = {}
    for name, t in head.items():
        if name == "__metadata__" or t["dtype"] != "F32":
            continue
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(blob[base + a:base + b], dtype="<f4").reshape(t["shape"])
    return out


def main():
    kind = sys.argv[1]
    worst = 0.0
    if kind == "losses":
        a, b, steps, tol = losses(sys.argv[2]), losses(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
        for s in range(1, steps + 1):
            if s not in a or s not in b:
                print(f"step {s}: missing from a log")
                return 1
            worst = max(worst, abs(a[s] - b[s]) / max(abs(a[s]), 1e-30))
        print(f"losses: {steps} steps, largest relative difference {worst:.3g} (tolerance {tol:g})")
    else:
        a, b, tol = tensors(sys.argv[2]), tensors(sys.argv[3]), float(sys.argv[4])
        names = [n for n in a if not n.startswith("train.") or (kind == "state" and n == "train.carried_state")]
        for n in names:
            if n not in b or a[n].shape != b[n].shape:
                print(f"{n}: missing or of another shape")
                return 1
            d = float(np.max(np.abs(a[n] - b[n]))) / max(float(np.max(np.abs(a[n]))), 1e-30)
            worst = max(worst, d)
        print(f"{kind}: {len(names)} tensors, largest difference {worst:.3g} of the tensor's scale (tolerance {tol:g})")
    return 0 if worst <= tol else 1


if __name__ == "__main__":
    sys.exit(main())
