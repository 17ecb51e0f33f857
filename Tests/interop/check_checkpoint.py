#!/usr/bin/env python3
"""Checks a `deeplearn train` checkpoint with Python's safetensors package (run by .ci/run).

    check_checkpoint.py CHECKPOINT EVALUATE_JSON DATA_DIR

1. `safetensors.numpy.load_file` reads it, with PyTorch-style names, shapes and dtypes.
2. The metadata holds the architecture as JSON.
3. A NumPy forward pass with those weights over the test images gives the accuracy that
   `deeplearn evaluate --json` reported (EVALUATE_JSON), to within one image.
"""
import json
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from fashion_checks import Checks, mlp_accuracy, test_set  # noqa: E402

path, evaluate_json, data_dir = sys.argv[1:4]
check = Checks()

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


x, y = test_set(data_dir)
numpy_accuracy = mlp_accuracy(tensors, x, y)
reported = json.load(open(evaluate_json))["test_accuracy"]
check("NumPy forward pass reproduces deeplearn evaluate", abs(numpy_accuracy - reported) <= 1 / len(y) + 1e-6,
      f"numpy {numpy_accuracy:.4f}, deeplearn {reported:.4f}")

check.finish("interop: ")
