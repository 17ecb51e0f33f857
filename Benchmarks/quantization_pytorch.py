#!/usr/bin/env python3
"""PyTorch's int8 CPU path on our mlp, for `compress quantize` to be compared with in one run.

    quantization_pytorch.py CHECKPOINT DATA_DIR [--model mlp|cnn] [--engine x86] [--runs 20]

Loads a `deeplearn train --model mlp` (or cnn) checkpoint (safetensors; PyTorch's names and
layouts) into the same network in PyTorch, quantizes it with eager-mode static
post-training quantization (torch.ao.quantization: per-channel weights, the engine's default
observers, calibrated on the first 1000 training images, as `compress quantize` calibrates), and
prints one JSON object: float32 and int8 test accuracy, batch-1000 throughput and batch-1
latency (medians over --runs), both with torch.set_num_threads(2).
"""
import argparse
import gzip
import json
import os
import time
import warnings

import numpy as np
import torch
from safetensors.numpy import load_file

parser = argparse.ArgumentParser()
parser.add_argument("checkpoint")
parser.add_argument("data")
parser.add_argument("--model", default="mlp", choices=["mlp", "cnn"])
parser.add_argument("--engine", default="x86")
parser.add_argument("--runs", type=int, default=20)
args = parser.parse_args()
torch.set_num_threads(2)
warnings.filterwarnings("ignore")   # torch.ao.quantization's deprecation notices


def idx(name):
    with gzip.open(os.path.join(args.data, name + ".gz")) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


train = torch.from_numpy(idx("train-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255)
test = torch.from_numpy(idx("t10k-images-idx3-ubyte").reshape(-1, 784).astype(np.float32) / 255)
labels = torch.from_numpy(idx("t10k-labels-idx1-ubyte").astype(np.int64))

weights = load_file(args.checkpoint)


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.quant, self.dequant = torch.ao.quantization.QuantStub(), torch.ao.quantization.DeQuantStub()
        self.fc0, self.fc1, self.fc2 = torch.nn.Linear(784, 256), torch.nn.Linear(256, 128), torch.nn.Linear(128, 10)
        self.relu0, self.relu1 = torch.nn.ReLU(), torch.nn.ReLU()
        self.names = [("0", "fc0"), ("3", "fc1"), ("6", "fc2")]
        self.fuse = [["fc0", "relu0"], ["fc1", "relu1"]]

    def forward(self, x):
        x = self.quant(x)
        x = self.relu0(self.fc0(x))
        x = self.relu1(self.fc1(x))
        return self.dequant(self.fc2(x))


class CNN(torch.nn.Module):
    """The zoo's cnn: Conv 32 and 64 (3x3, same) with ReLU and max pooling, Dense 128, Dense 10."""
    def __init__(self):
        super().__init__()
        self.quant, self.dequant = torch.ao.quantization.QuantStub(), torch.ao.quantization.DeQuantStub()
        self.conv0, self.conv1 = torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.Conv2d(32, 64, 3, padding=1)
        self.fc0, self.fc1 = torch.nn.Linear(64 * 7 * 7, 128), torch.nn.Linear(128, 10)
        self.relu0, self.relu1, self.relu2 = torch.nn.ReLU(), torch.nn.ReLU(), torch.nn.ReLU()
        self.pool = torch.nn.MaxPool2d(2)
        self.names = [("1", "conv0"), ("4", "conv1"), ("9", "fc0"), ("12", "fc1")]
        self.fuse = [["conv0", "relu0"], ["conv1", "relu1"], ["fc0", "relu2"]]

    def forward(self, x):
        x = self.quant(x.reshape(-1, 1, 28, 28))
        x = self.pool(self.relu0(self.conv0(x)))
        x = self.pool(self.relu1(self.conv1(x)))
        x = self.relu2(self.fc0(x.flatten(1)))
        return self.dequant(self.fc1(x))


model = MLP() if args.model == "mlp" else CNN()
for ours, theirs in model.names:
    getattr(model, theirs).weight.data = torch.from_numpy(weights[f"{ours}.weight"].copy())
    getattr(model, theirs).bias.data = torch.from_numpy(weights[f"{ours}.bias"].copy())
model.eval()


def accuracy(m):
    with torch.no_grad():
        return float((m(test).argmax(1) == labels).float().mean())


def timing(m):
    batch, one = test[:1000], test[:1]
    with torch.no_grad():
        for _ in range(3):
            m(batch), m(one)
        big, small = [], []
        for _ in range(args.runs):
            t = time.perf_counter(); m(batch); big.append(time.perf_counter() - t)
        for _ in range(args.runs * 10):
            t = time.perf_counter(); m(one); small.append(time.perf_counter() - t)
    return 1000 / float(np.median(big)), float(np.median(small)) * 1e3


float_accuracy = accuracy(model)
float_speed, float_latency = timing(model)
torch.backends.quantized.engine = args.engine
model.qconfig = torch.ao.quantization.get_default_qconfig(args.engine)
model = torch.ao.quantization.fuse_modules(model, model.fuse)
prepared = torch.ao.quantization.prepare(model)
with torch.no_grad():
    prepared(train[:1000])
quantized = torch.ao.quantization.convert(prepared)
int8_speed, int8_latency = timing(quantized)
print(json.dumps({
    "peer": f"torch {torch.__version__} ({args.engine})", "model": args.model, "float32_accuracy": float_accuracy, "int8_accuracy": accuracy(quantized),
    "float32_batch1000_images_per_second": float_speed, "int8_batch1000_images_per_second": int8_speed,
    "float32_batch1_latency_ms": float_latency, "int8_batch1_latency_ms": int8_latency,
}, sort_keys=True))
