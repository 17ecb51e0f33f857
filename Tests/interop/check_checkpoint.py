#!/usr/bin/env python3
"""Checks a `deeplearn train` checkpoint with Python's safetensors package (run by .ci/run).

    check_checkpoint.py CHECKPOINT EVALUATE_JSON DATA_DIR

1. `safetensors.numpy.load_file` reads it, with PyTorch-style names, shapes and dtypes.
2. The metadata holds the architecture as JSON.
3. A NumPy forward pass with those weights over the test images gives the accuracy that
   `deeplearn evaluate --json` reported (EVALUATE_JSON), to within one image.
"""
import gzip
import json
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

path, evaluate_json, data_dir = sys.argv[1:4]
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    print(("PASS " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))
    passed, failed = passed + ok, failed + (not ok)


tensors = load_file(path)
expected = {"0.weight": (256, 784), "0.bias": (256,), "3.weight": (128, 256), "3.bias": (128,),
            "6.weight": (10, 128), "6.bias": (10,)}
shapes = {k: v.shape for k, v in tensors.items()}
check("names and shapes", shapes == expected, str(shapes))
check("dtypes", all(v.dtype == np.float32 for v in tensors.values()))

with safe_open(path, framework="numpy") as f:
    metadata = f.metadata()
arch = json.loads(metadata["architecture"])
kinds = [layer["type"] for layer in arch["layers"]]
check("architecture metadata", kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"], str(kinds))


def idx(name):
    with gzip.open(os.path.join(data_dir, name + ".gz")) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


x = idx("t10k-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255
y = idx("t10k-labels-idx1-ubyte")
h = np.maximum(x @ tensors["0.weight"].T + tensors["0.bias"], 0)
h = np.maximum(h @ tensors["3.weight"].T + tensors["3.bias"], 0)
logits = h @ tensors["6.weight"].T + tensors["6.bias"]
numpy_accuracy = float((logits.argmax(1) == y).mean())
reported = json.load(open(evaluate_json))["test_accuracy"]
check("NumPy forward pass reproduces deeplearn evaluate", abs(numpy_accuracy - reported) <= 1 / len(y) + 1e-6,
      f"numpy {numpy_accuracy:.4f}, deeplearn {reported:.4f}")

print(f"interop: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
