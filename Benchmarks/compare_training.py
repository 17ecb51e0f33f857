#!/usr/bin/env python3
"""`deeplearn bench mlp` (or `cnn`) against Benchmarks/train_pytorch.py, alternating, several rounds.

Each round runs both programs once, each in its own process (so peak memory is per program);
prints one JSON object with per-round figures, medians, and the ratios (ours / PyTorch) as the
median of per-round ratios, each round's pair having run back to back.

    python3 Benchmarks/compare_training.py --deeplearn .build/release/deeplearn --rounds 3
"""
import argparse
import json
import os
import statistics
import sys

from common import json_output


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--deeplearn", default=".build/release/deeplearn")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--model", choices=["mlp", "cnn", "lstm", "gru"], default="mlp")
    a = p.parse_args()
    peer = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_pytorch.py")
    ours, theirs = [], []
    for _ in range(a.rounds):
        ours.append(json_output([a.deeplearn, "bench", a.model, "--data", a.data, "--json"]))
        theirs.append(json_output([sys.executable, peer, "--model", a.model, "--data", a.data]))
    med = lambda rows, k: statistics.median(r[k] for r in rows)
    result = {
        "epoch_seconds": {"deeplearn": med(ours, "epoch_seconds"), "pytorch": med(theirs, "epoch_seconds")},
        "peak_rss_mib": {"deeplearn": med(ours, "peak_rss_mib"), "pytorch": med(theirs, "peak_rss_mib")},
        "train_loss": {"deeplearn": med(ours, "train_loss"), "pytorch": med(theirs, "train_loss")},
        "per_round": {"deeplearn": ours, "pytorch": theirs},
    }
    ratio = lambda k: statistics.median(o[k] / t[k] for o, t in zip(ours, theirs))
    result["time_ratio"] = ratio("epoch_seconds")
    result["memory_ratio"] = ratio("peak_rss_mib")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
