"""Helpers shared by the peer scripts: Fashion-MNIST IDX reading, median timing, and the JSON
line a command prints last."""
import gzip
import json
import os
import statistics
import subprocess
import time

import numpy as np


def idx(path):
    """The array in a (gzip-compressed) IDX file."""
    with gzip.open(path) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion_mnist(directory, split):
    """Fashion-MNIST's `split` ("train" or "t10k") from the IDX gz files in `directory`: images as
    float32 [N, 784] scaled to [0, 1] (x / 255) and labels as int64 [N]. Exits with one line
    naming the first missing file."""
    paths = [os.path.join(directory, f"{split}-{kind}-ubyte.gz") for kind in ("images-idx3", "labels-idx1")]
    for path in paths:
        if not os.path.isfile(path):
            raise SystemExit(f"error: Fashion-MNIST file not found: {path} (pass --data DIR)")
    images = idx(paths[0]).reshape(-1, 784).astype(np.float32) / 255
    return images, idx(paths[1]).astype(np.int64)


def median_seconds(fn, runs, warmup=2):
    """Median wall time of `runs` calls of fn after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def json_output(cmd):
    """The JSON object on the last line a command prints (it must succeed)."""
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])
