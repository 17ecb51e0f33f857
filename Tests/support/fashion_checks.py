"""What the check scripts under Tests/ share: PASS/FAIL lines with a count, the Fashion-MNIST
test set read from IDX files, and a NumPy forward pass of the zoo's mlp.

Import it from a script with `sys.path.insert(0, <Tests/support>)`.
"""
import gzip
import os
import sys

import numpy as np


class Checks:
    """Prints each check as PASS or FAIL; `finish` prints the count and exits non-zero on a failure."""

    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, name, ok, detail=""):
        print(("PASS " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))
        self.passed, self.failed = self.passed + bool(ok), self.failed + (not ok)

    def finish(self, prefix=""):
        print(f"{prefix}{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def idx(data_dir, name):
    """The array in the gzipped IDX file `name` (without .gz) of `data_dir`."""
    with gzip.open(os.path.join(data_dir, name + ".gz")) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def test_set(data_dir):
    """The test images as [N, 784] float32 in [0, 1], and their labels."""
    x = idx(data_dir, "t10k-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255
    return x, idx(data_dir, "t10k-labels-idx1-ubyte").astype(np.int64)


def mlp_accuracy(weights, x, y):
    """Test accuracy of the zoo's mlp (784-256-128-10, ReLU; layers 0, 3 and 6) with `weights`."""
    h = np.maximum(x @ weights["0.weight"].T + weights["0.bias"], 0)
    h = np.maximum(h @ weights["3.weight"].T + weights["3.bias"], 0)
    return float(((h @ weights["6.weight"].T + weights["6.bias"]).argmax(1) == y).mean())
