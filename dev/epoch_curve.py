#!/usr/bin/env python3
"""epoch_curve.py RUN_DIR [--rnnlm BUILD/rnnlm] [-- EVAL_ARGS...]

The per-epoch curve of a run trained with --logdir RUN_DIR --save-dir RUN_DIR
--keep-epochs: for every epoch, the training and validation perplexity (from
RUN_DIR/log.csv), the test perplexity of that epoch's evaluated weights
(RUN_DIR/epoch-N.safetensors through `rnnlm eval`, after the run, so that the
test split never influences training) and the wall time, as a Markdown table.
EVAL_ARGS select the test data (default: --corpus brown, its test split)."""
import csv
import os
import re
import subprocess
import sys


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if args else 2
    run = args[0]
    rnnlm = "build/rnnlm"
    rest = args[1:]
    if rest[:1] == ["--rnnlm"]:
        rnnlm, rest = rest[1], rest[2:]
    eval_args = rest[1:] if rest[:1] == ["--"] else ["--corpus", "brown"]

    train, valid, ends = {}, {}, {}
    t0 = None
    with open(os.path.join(run, "log.csv"), newline="") as f:
        for row in csv.DictReader(f):
            wall = float(row["wall_time"])
            t0 = wall if t0 is None else t0
            if row["tag"] != "epoch_perplexity":
                continue
            ep = int(row["step"])
            if row["run"] == "train":
                train[ep] = float(row["value"])
            elif row["run"] == "validation":
                valid[ep] = float(row["value"])
                ends[ep] = wall
    print("| epoch | train ppl | valid ppl | test ppl | epoch s | minutes |")
    print("|---|---|---|---|---|---|")
    prev = t0
    for ep in sorted(valid):
        path = os.path.join(run, "epoch-%d.safetensors" % ep)
        test = "-"
        if os.path.exists(path):
            out = subprocess.run([rnnlm, "eval", path] + eval_args, capture_output=True, text=True)
            m = re.search(r"^perplexity ([0-9.]+)", out.stdout, re.M)
            test = m.group(1) if m else "?"
        print("| %d | %.2f | %.2f | %s | %.0f | %.1f |" % (
            ep, train.get(ep, float("nan")), valid[ep], test, ends[ep] - prev, (ends[ep] - t0) / 60))
        prev = ends[ep]
    return 0


if __name__ == "__main__":
    sys.exit(main())
