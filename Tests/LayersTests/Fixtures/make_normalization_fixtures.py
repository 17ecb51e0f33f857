#!/usr/bin/env python3
"""Writes normalization.json: PyTorch's BatchNorm2d (training forward, gradients, running
statistics, then inference), bilinear Upsample, AdaptiveAvgPool2d, GroupNorm and LayerNorm on
small fixed inputs. Run with PyTorch installed:

    python3 Tests/LayersTests/Fixtures/make_normalization_fixtures.py
"""
import json
import os

import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(4, 3, 5, 5, dtype=torch.float64)
bn = nn.BatchNorm2d(3).double()
bn.weight.data = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
bn.bias.data = torch.tensor([0.0, -1.0, 0.5], dtype=torch.float64)
leaf = x.clone().requires_grad_(True)
y = bn(leaf)
upstream = torch.linspace(-1, 1, y.numel(), dtype=torch.float64).reshape(y.shape)
(y * upstream).sum().backward()
bn.eval()
out = {
    "x": x.flatten().tolist(), "train_y": y.detach().flatten().tolist(), "dx": leaf.grad.flatten().tolist(),
    "dweight": bn.weight.grad.tolist(), "dbias": bn.bias.grad.tolist(),
    "running_mean": bn.running_mean.tolist(), "running_var": bn.running_var.tolist(),
    "eval_y": bn(x).detach().flatten().tolist(),
}
grid = torch.arange(16, dtype=torch.float64).reshape(1, 1, 4, 4)
out["upsample_bilinear"] = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)(grid).flatten().tolist()
wide = torch.arange(35, dtype=torch.float64).reshape(1, 1, 5, 7)
out["adaptive_3x2"] = nn.AdaptiveAvgPool2d((3, 2))(wide).flatten().tolist()
seq = torch.randn(2, 4, 3, dtype=torch.float64)
out["groupnorm_x"] = seq.flatten().tolist()
out["groupnorm_y"] = nn.GroupNorm(2, 4).double()(seq).detach().flatten().tolist()
out["layernorm_y"] = nn.LayerNorm(3).double()(seq).detach().flatten().tolist()

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "normalization.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", path, "with torch", torch.__version__)
