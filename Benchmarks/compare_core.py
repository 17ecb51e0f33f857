#!/usr/bin/env python3
"""Tensor-core benchmarks of issue #2, side by side with NumPy and PyTorch on this machine.

Runs `deeplearn bench gemm` (system BLAS and forced fallback) and `deeplearn bench ops`, and the
same measurements in NumPy and PyTorch, interleaved over several rounds so that drift on a shared
machine hits every contender alike. Prints one JSON object: per-round figures, medians, and the
ratios the acceptance criteria ask for as the median of per-round ratios (each round's pair is
measured back to back, so a burst of load from a neighbour skews one pair, not the result).

    python3 Benchmarks/compare_core.py --deeplearn .build/release/deeplearn
"""
import argparse
import json
import os
import statistics
import subprocess

import numpy as np
import torch
from common import median_seconds




def ours(binary, args, env=None):
    out = subprocess.run([binary, "bench", *args, "--json"], check=True, capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    return json.loads(out.stdout)


def numpy_gemm(n, runs):
    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    return 2 * n ** 3 / median_seconds(lambda: a @ b, runs) / 1e9


def torch_gemm(n, runs):
    a = torch.rand(n, n)
    b = torch.rand(n, n)
    return 2 * n ** 3 / median_seconds(lambda: a @ b, runs) / 1e9


def torch_add_us(iterations, runs, grad):
    a = torch.tensor([1.0], requires_grad=grad)
    b = torch.tensor([2.0])

    def loop():
        for _ in range(iterations):
            a + b

    return median_seconds(loop, runs) / iterations * 1e6


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--deeplearn", default=".build/release/deeplearn")
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--iterations", type=int, default=200_000)
    a = p.parse_args()

    rows = {k: [] for k in ["blas", "fallback", "numpy", "torch_gemm", "add_us", "add_grad_us",
                            "torch_add_us", "torch_add_grad_us"]}
    for _ in range(a.rounds):
        rows["blas"].append(ours(a.deeplearn, ["gemm", "--size", str(a.size), "--runs", str(a.runs)])["gflops"])
        rows["numpy"].append(numpy_gemm(a.size, a.runs))
        rows["fallback"].append(ours(a.deeplearn, ["gemm", "--size", str(a.size), "--runs", str(a.runs)],
                                     {"DEEPLEARN_BLAS": "none"})["gflops"])
        rows["torch_gemm"].append(torch_gemm(a.size, a.runs))
        ops = ours(a.deeplearn, ["ops", "--iterations", str(a.iterations)])
        rows["add_us"].append(ops["add_us"])
        rows["add_grad_us"].append(ops["add_grad_us"])
        rows["torch_add_us"].append(torch_add_us(a.iterations, 5, False))
        rows["torch_add_grad_us"].append(torch_add_us(a.iterations, 5, True))

    m = {k: statistics.median(v) for k, v in rows.items()}
    print(json.dumps({
        "machine": {"cores": os.cpu_count(), "numpy": np.__version__, "torch": torch.__version__,
                    "torch_threads": torch.get_num_threads()},
        "size": a.size, "rounds": a.rounds,
        "gflops": {"deeplearn_blas": m["blas"], "deeplearn_fallback": m["fallback"], "numpy": m["numpy"],
                   "torch": m["torch_gemm"]},
        "gemm_ratio_blas_vs_numpy": statistics.median(b / n for b, n in zip(rows["blas"], rows["numpy"])),
        "gemm_ratio_fallback_vs_numpy": statistics.median(f / n for f, n in zip(rows["fallback"], rows["numpy"])),
        "add_us": {"deeplearn": m["add_us"], "torch": m["torch_add_us"]},
        "add_grad_us": {"deeplearn": m["add_grad_us"], "torch": m["torch_add_grad_us"]},
        "per_round": rows,
    }, indent=2))


if __name__ == "__main__":
    main()
