#!/usr/bin/env python3
"""PyTorch peer of `deeplearn bench inference --model cnn`: batch-1 latency and batch-1000
throughput of the "2 Conv+pooling" network in eval mode under torch.no_grad(), on the same test
images; prints one JSON object.
"""
import argparse
import json
import os

import numpy as np
import torch
from common import idx, median_seconds
from torch import nn






def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--runs", type=int, default=20)
    a = p.parse_args()
    torch.manual_seed(0)
    x = torch.from_numpy(idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz")).reshape(-1, 784).astype(np.float32) / 255)
    model = nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10)).eval()
    one, thousand = x[:1], x[:1000]
    with torch.no_grad():
        latency = median_seconds(lambda: model(one), a.runs * 10, 10)
        batch = median_seconds(lambda: model(thousand), a.runs, 2)
    print(json.dumps({"benchmark": "inference", "framework": "pytorch", "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "batch1_latency_ms": latency * 1e3,
                      "batch1000_images_per_second": len(thousand) / batch, "batch1000_seconds": batch}))


if __name__ == "__main__":
    main()
