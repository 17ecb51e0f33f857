"""Checks `deeplearn generate score` against NumPy on a file of known images: the Fashion-MNIST
test images of DIR with a fixed perturbation as 'reconstructions', and a noisy and a denoised copy.
The test MSE and the PSNRs must equal NumPy's; SSIM must be 1 for a copy and below 1 otherwise.

    python Tests/generative/check_scores.py DEEPLEARN_BINARY DATA_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

import numpy as np
from safetensors.numpy import save_file

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Benchmarks"))
from common import fashion_mnist  # noqa: E402


def psnr(a, b):
    mse = ((a.astype(np.float64) - b.astype(np.float64)) ** 2).reshape(len(a), -1).mean(axis=1)
    return float(np.mean(10 * np.log10(1 / mse)))


def score(binary, data, path):
    out = subprocess.run([binary, "generate", "score", "--file", path, "--data", data], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    binary, data, work = sys.argv[1:4]
    clean = fashion_mnist(data, "t10k")[0].reshape(-1, 1, 28, 28)
    rng = np.random.default_rng(0)
    reconstructions = np.clip(clean + rng.normal(0, 0.05, clean.shape), 0, 1).astype(np.float32)
    noisy = np.clip(clean + rng.normal(0, 0.3, clean.shape), 0, 1).astype(np.float32)
    denoised = np.clip(clean + rng.normal(0, 0.1, clean.shape), 0, 1).astype(np.float32)
    path = os.path.join(work, "images.safetensors")
    save_file({"reconstructions": reconstructions, "noisy": noisy, "denoised": denoised}, path)
    got = score(binary, data, path)
    expected = {
        "test_mse": float(((denoised.astype(np.float64) - clean) ** 2).mean()),
        "psnr_noisy": psnr(noisy, clean),
        "psnr_denoised": psnr(denoised, clean),
    }
    for name, value in expected.items():
        assert abs(got[name] - value) <= 1e-4 * abs(value), (name, got[name], value)
    assert abs(got["psnr"] - psnr(reconstructions, clean)) < 1e-3, got
    assert got["ssim_noisy"] < got["ssim_denoised"] < 1, got
    save_file({"reconstructions": clean.astype(np.float32)}, path)
    same = score(binary, data, path)
    assert same["test_mse"] == 0 and abs(same["ssim"] - 1) < 1e-9, same
    print("generate score equals NumPy:", {k: round(v, 4) for k, v in expected.items()})


if __name__ == "__main__":
    main()
