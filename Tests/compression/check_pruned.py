#!/usr/bin/env python3
"""Checks `deeplearn compress` outputs with the safetensors package and NumPy (run by .ci/run).

    check_pruned.py DATA_DIR SPARSE_CHECKPOINT PRUNE_JSON EVALUATE_JSON

1. The sparse checkpoint (an mlp pruned to 90%; its Linear weights at least half zeros stored
   sparse) is rebuilt from its bitmaps and values as the
   format describes (least significant bit first, values in row-major order).
2. The rebuilt weights have the reported sparsity over the Linear weights.
3. A NumPy forward pass with them gives the accuracy `deeplearn evaluate` reported, to within one
   image, and that `compress prune --json` reported.
4. The file is under a quarter of the dense tensors' bytes.
"""
import json
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from fashion_checks import Checks, mlp_accuracy, test_set  # noqa: E402

data_dir, path, prune_json, evaluate_json = sys.argv[1:5]
check = Checks()
stored = load_file(path)
with safe_open(path, framework="numpy") as f:
    metadata = f.metadata()
shapes = json.loads(metadata["sparse_tensors"])
weights = {k: v for k, v in stored.items() if "/sparse_" not in k}
for name, shape in shapes.items():
    bits = np.unpackbits(stored[name + "/sparse_mask"], bitorder="little")[: int(np.prod(shape))].astype(bool)
    dense = np.zeros(bits.shape, dtype=np.float32)
    dense[bits] = stored[name + "/sparse_values"]
    weights[name] = dense.reshape(shape)
# The output layer's weight is stored sparse only when global ranking left it at least half zeros.
check("sparse tensors are Linear weights", {"0.weight", "3.weight"} <= set(shapes) <= {"0.weight", "3.weight", "6.weight"}, str(sorted(shapes)))
linear = [weights[k] for k in ("0.weight", "3.weight", "6.weight")]
sparsity = sum((w == 0).sum() for w in linear) / sum(w.size for w in linear)
report = json.load(open(prune_json))
check("sparsity", abs(sparsity - report["sparsity"]) < 1e-6 and abs(sparsity - 0.9) < 1e-3, f"{sparsity} vs {report['sparsity']}")

x, y = test_set(data_dir)
accuracy = mlp_accuracy(weights, x, y)
reported = json.load(open(evaluate_json))["test_accuracy"]
check("NumPy accuracy equals evaluate's", abs(accuracy - reported) <= 1 / len(y) + 1e-6, f"{accuracy} vs {reported}")
check("evaluate equals compress prune's report", abs(reported - report["test_accuracy"]) < 1e-6, f"{reported} vs {report['test_accuracy']}")
dense_bytes = sum(w.size * 4 for w in weights.values())
size = os.path.getsize(path)
check("under a quarter of the dense bytes", size < dense_bytes / 4 and size == report["size_bytes"], f"{size} of {dense_bytes}")
check.finish()
