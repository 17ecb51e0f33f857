"""Max absolute difference between the tensors of two safetensors checkpoints (weights, and the
optimizer state when both have it). Prints one JSON line; exits 1 when it exceeds the bound.

Usage: compare_weights.py A.safetensors B.safetensors BOUND LABEL
"""
import json
import sys

from safetensors.numpy import load_file

a_path, b_path, bound, label = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
a, b = load_file(a_path), load_file(b_path)
if sorted(a) != sorted(b):
    sys.exit(f"{label}: the checkpoints hold different tensors: {sorted(set(a) ^ set(b))}")
worst, where = 0.0, None
for name in a:
    if a[name].shape != b[name].shape:
        sys.exit(f"{label}: {name} is {a[name].shape} in one and {b[name].shape} in the other")
    d = float(abs(a[name].astype("float64") - b[name].astype("float64")).max()) if a[name].size else 0.0
    if d > worst:
        worst, where = d, name
print(json.dumps({"check": label, "max_abs_difference": worst, "worst_tensor": where, "bound": bound}))
sys.exit(0 if worst <= bound else 1)
