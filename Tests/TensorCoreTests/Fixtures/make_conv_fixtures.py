#!/usr/bin/env python3
"""Writes conv_pool.json: forward outputs and input/weight gradients of torch's conv2d, conv1d,
conv_transpose2d, max_pool2d and avg_pool2d on small fixed inputs. The upstream gradient is a fixed tensor so that
every output element matters. Run with PyTorch installed:

    python3 Tests/TensorCoreTests/Fixtures/make_conv_fixtures.py
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)


def t(*shape):
    return torch.randn(*shape, dtype=torch.float64)


cases = {}


def record(name, fn, inputs, **extra):
    leaves = [x.clone().requires_grad_(True) for x in inputs]
    y = fn(*leaves)
    upstream = torch.linspace(-1, 1, y.numel(), dtype=torch.float64).reshape(y.shape)
    (y * upstream).sum().backward()
    cases[name] = {
        "inputs": [{"shape": list(x.shape), "values": x.flatten().tolist()} for x in inputs],
        "output": {"shape": list(y.shape), "values": y.detach().flatten().tolist()},
        "grads": [leaf.grad.flatten().tolist() for leaf in leaves],
        **extra,
    }


record("conv2d_stride_pad_bias", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
       [t(2, 3, 7, 6), t(4, 3, 3, 3), t(4)])
record("conv2d_dilation_groups", lambda x, w: F.conv2d(x, w, stride=1, padding=2, dilation=2, groups=2),
       [t(1, 4, 6, 6), t(6, 2, 3, 3)])
record("conv2d_same", lambda x, w: F.conv2d(x, w, padding="same"), [t(2, 2, 5, 5), t(3, 2, 4, 2)])
record("conv1d", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), [t(2, 3, 10), t(2, 3, 3), t(2)])
record("max_pool2d", lambda x: F.max_pool2d(x, 3, stride=2, padding=1), [t(2, 3, 7, 7)])
record("avg_pool2d", lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), [t(2, 3, 7, 7)])
record("avg_pool2d_exclude_pad", lambda x: F.avg_pool2d(x, 2, stride=2, padding=1, count_include_pad=False), [t(1, 2, 5, 5)])

record("conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
       [t(2, 3, 4, 5), t(3, 2, 3, 3), t(2)])
record("conv_transpose2d_groups_dilation", lambda x, w: F.conv_transpose2d(x, w, stride=1, padding=0, dilation=2, groups=2),
       [t(1, 4, 3, 3), t(4, 1, 2, 2)])

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv_pool.json")
with open(path, "w") as f:
    json.dump(cases, f)
print("wrote", path, "with torch", torch.__version__)
