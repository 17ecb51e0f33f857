#!/usr/bin/env python3
"""PyTorch peer of `deeplearn bench mlp`, `cnn`, `lstm` and `gru`: the same model, data,
optimizer and batch size.

--model mlp: 784-256-128-10 with ReLU. --model cnn: "2 Conv+pooling" (Conv 32 3x3 same, ReLU,
MaxPool 2, Conv 64 3x3 same, ReLU, MaxPool 2, Dense 128 ReLU, Dense 10). --model lstm / gru: the image read row by row (28 steps
of 28 features), one recurrent layer of 128, its last state into Dense 10. Adam 1e-3, batch 128, one
shuffled pass over the Fashion-MNIST training set read from the same IDX files; prints one JSON
object with epoch_seconds and peak_rss_mib. Batches are drawn by indexing with a random
permutation (faster than torch's DataLoader here).
"""
import argparse
import json
import os
import resource
import time

import numpy as np
import torch
from common import idx
from torch import nn


class Recurrent(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.rnn = (nn.LSTM if kind == "lstm" else nn.GRU)(28, 128, batch_first=True)
        self.out = nn.Linear(128, 10)

    def forward(self, x):
        _, state = self.rnn(x.view(-1, 28, 28))
        h = state[0] if isinstance(state, tuple) else state
        return self.out(h[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--model", choices=["mlp", "cnn", "lstm", "gru"], default="mlp")
    a = p.parse_args()
    torch.manual_seed(0)
    x = torch.from_numpy(idx(os.path.join(a.data, "train-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    if a.model == "mlp":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    elif a.model in ("lstm", "gru"):
        model = Recurrent(a.model)
    else:
        model = nn.Sequential(
            nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    seconds = []
    for _ in range(a.epochs):
        start = time.perf_counter()
        order = torch.randperm(len(x))
        total = 0.0
        for i in range(0, len(x), a.batch_size):
            idx_ = order[i:i + a.batch_size]
            xb, yb = x[idx_], y[idx_]
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx_)
        seconds.append(time.perf_counter() - start)
    print(json.dumps({"benchmark": a.model, "framework": "pytorch", "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "epoch_seconds": seconds[0] if len(seconds) == 1 else seconds,
                      "train_loss": total / len(x), "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
