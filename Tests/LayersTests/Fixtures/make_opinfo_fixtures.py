#!/usr/bin/env python3
"""Writes opinfo.json: an OpInfo-style reference table (in the spirit of PyTorch's OpInfo) of
forward values and gradients computed by PyTorch, in float32 and in float64, for the ops the
Swift tests check against (see Tests/LayersTests for the reader).

How it was run (CPU only, one thread):

    cd Tests/LayersTests/Fixtures && python make_opinfo_fixtures.py   (here: /tmp/torch-venv/bin/python)

with torch 2.15.0+cu132 (CPU, Python 3.11.7) and numpy 2.4.6 (the version used is also recorded as
"torch" in the JSON). The output is deterministic: every case draws its random inputs from its
own numpy RandomState seeded by crc32 of the case id, torch runs single-threaded, cases are
sorted by id, and the file is written one case per line.

Schema:
  {"torch": version, "weights": "...", "cases": [
    {"id", "op", "args", "inputs": [{"shape", "dtype", "values", "grad"}],
     "output": {"shape", "float32", "float64"},
     "grads": [{"float32", "float64"} | null per input], ["convention": str]}]}

Inputs are generated as float32 values first and cast to float64 for the float64 run, so both
dtypes see exactly the same numbers. Gradients are of L = sum(out * w) with
w[i] = ((i % 5) - 2) * 0.5 + 0.25 over the flattened output, computed in each dtype.
Non-finite numbers are written as the strings "nan", "inf", "-inf". float32 numbers are written
with the shortest decimal that round-trips through float32 (and also through float64 -> float32,
which the script checks); float64 numbers with Python's repr.

Conventions: "convention" is set only where noted in the case list below: "bce-clamp" marks
binary-cross-entropy cases with exact 0/1 probabilities (PyTorch clamps the log at -100);
"torch-float32-overflow" and "torch-float32-inexact" are set automatically where PyTorch's own
float32 result (output or any gradient) is not within the test tolerance
1e-5 + 1e-4 * |ref| of its float64 result cast to float32, i.e. PyTorch is the inaccurate side:
"-overflow" when float32 gives inf/nan although the float64 value fits in float32 (an
intermediate such as exp(x), b * a^(b-1), a float32 running sum or a variance overflowed),
"-inexact" otherwise (cancellation, e.g. data 1e4 +- 0.01). Those cases were:
  overflow: exp/overflow_edge, exp/last_finite, pow/near_overflow (gradients), sum/overflow_partial,
            mean/near_overflow, mean/specials, layer_norm/order_1e20 (float32 gives nan)
  inexact:  batch_norm/offset_1e4, layer_norm/offset_1e4, var/offset_1e4, std/offset_1e4
            (gradients), matmul/cancellation (1e8 + 0.5 - 1e8)

Notes:
  - Targets of losses have "grad": false, except the "*/target_grad" cases of mse, l1, huber.
  - hinge is computed as reduce(clamp(1 - target * pred, min=0)), since PyTorch has no hinge.
  - split/chunk outputs are torch.cat([p.reshape(-1) for p in pieces]) with shape [total].
"""
import json
import math
import os
import zlib

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)

F32 = np.float32
WEIGHTS_DOC = "w[i] = ((i % 5) - 2) * 0.5 + 0.25 over the flattened output"
FMAX = float(np.finfo(np.float32).max)


# ----------------------------------------------------------------------------------------------
# Case description helpers
# ----------------------------------------------------------------------------------------------

class Inp:
    def __init__(self, arr, grad, kind):
        self.arr = arr
        self.grad = grad
        self.kind = kind  # "float32" or "int64"


def X(values, shape=None, grad=True):
    """A float32 input (gradient wanted by default)."""
    a = np.asarray(values, dtype=np.float32)
    if shape is not None:
        a = a.reshape(shape)
    return Inp(a, grad, "float32")


def C(values, shape=None):
    """A float32 input without gradient (targets, conditions)."""
    return X(values, shape, grad=False)


def I(values, shape=None):
    """An int64 input (indices, labels); never has a gradient."""
    a = np.asarray(values, dtype=np.int64)
    if shape is not None:
        a = a.reshape(shape)
    return Inp(a, False, "int64")


def U(r, shape, lo=-2.0, hi=2.0):
    return r.uniform(lo, hi, size=shape).astype(np.float32)


def N(r, shape, scale=1.0):
    return (r.standard_normal(size=shape) * scale).astype(np.float32)


def distinct(r, shape, scale=0.1):
    """Values without ties (a random permutation of a grid plus small jitter)."""
    n = int(np.prod(shape)) if len(shape) else 1
    p = r.permutation(n).astype(np.float64) - n / 2.0
    return ((p + r.uniform(0.1, 0.9, size=n)) * scale).astype(np.float32).reshape(shape)


def probs(r, shape, axis=-1):
    z = r.standard_normal(size=shape)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(np.float32)


def log_probs(r, shape, axis=-1):
    z = r.standard_normal(size=shape)
    m = z.max(axis=axis, keepdims=True)
    return (z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))).astype(np.float32)


def f32(x):
    return float(np.float32(x))


def below(x):
    """Largest float32 <= x."""
    v = np.float32(x)
    if float(v) > x:
        v = np.nextafter(v, np.float32(-np.inf))
    return float(v)


nan, inf = float("nan"), float("inf")

CASES = []


def case(cid, op, args, make, convention=None):
    """make: list of Inp, or a function rng -> list of Inp (rng seeded by the case id)."""
    if callable(make):
        r = np.random.RandomState(zlib.crc32(cid.encode()) & 0x7FFFFFFF)
        inputs = make(r)
    else:
        inputs = make
    CASES.append((cid, op, dict(args), inputs, convention))


# ----------------------------------------------------------------------------------------------
# Op implementations (torch)
# ----------------------------------------------------------------------------------------------

UNARY = {
    "exp": torch.exp, "log": torch.log, "log1p": torch.log1p, "sqrt": torch.sqrt,
    "rsqrt": torch.rsqrt, "sin": torch.sin, "cos": torch.cos, "tanh": torch.tanh,
    "erf": torch.erf, "abs": torch.abs, "sign": torch.sign, "relu": torch.relu,
    "sigmoid": torch.sigmoid, "softplus": F.softplus, "squared": lambda x: x * x,
}
BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": torch.pow, "maximum": torch.maximum,
    "minimum": torch.minimum,
}
COMPARE = {
    "eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le, "gt": torch.gt, "ge": torch.ge,
}
NO_GRAD_OPS = set(COMPARE) | {"argmax", "argmin", "one_hot", "arange", "linspace", "eye",
                              "zeros", "ones", "full"}


def reduce_loss(v, reduction):
    if reduction == "mean":
        return v.mean()
    if reduction == "sum":
        return v.sum()
    assert reduction == "none"
    return v


def run_op(op, a, t, dtype):
    if op in UNARY:
        return UNARY[op](t[0])
    if op == "leaky_relu":
        return F.leaky_relu(t[0], a["negative_slope"])
    if op == "elu":
        return F.elu(t[0], a["alpha"])
    if op == "gelu":
        return F.gelu(t[0], approximate=a["approximate"])
    if op in BINARY:
        return BINARY[op](t[0], t[1])
    if op in COMPARE:
        return COMPARE[op](t[0], t[1])
    if op == "pow_scalar":
        return t[0] ** float(a["exponent"])
    if op == "where":
        return torch.where(t[0] != 0, t[1], t[2])
    if op == "clamp":
        return torch.clamp(t[0], min=a["min"], max=a["max"])
    if op in ("sum", "mean", "amax", "amin"):
        return getattr(torch, op)(t[0], dim=tuple(a["axes"]), keepdim=a["keepdim"])
    if op in ("sum_all", "mean_all", "amax_all", "amin_all"):
        return getattr(t[0], op[:-4])()
    if op in ("argmax", "argmin"):
        return getattr(torch, op)(t[0], dim=a["axis"], keepdim=a["keepdim"])
    if op in ("var", "std"):
        return getattr(torch, op)(t[0], dim=tuple(a["axes"]), correction=a["correction"],
                                  keepdim=a["keepdim"])
    if op == "logsumexp":
        return torch.logsumexp(t[0], dim=tuple(a["axes"]), keepdim=a["keepdim"])
    if op == "softmax":
        return torch.softmax(t[0], dim=a["axis"])
    if op == "log_softmax":
        return torch.log_softmax(t[0], dim=a["axis"])
    if op == "reshape":
        return t[0].reshape(a["shape"])
    if op == "flatten":
        return torch.flatten(t[0], a["start"], a["end"])
    if op == "squeeze":
        x = t[0]
        for ax in sorted((ax % x.dim() for ax in a["axes"]), reverse=True):
            assert x.shape[ax] == 1
            x = x.squeeze(ax)
        return x
    if op == "unsqueeze":
        return t[0].unsqueeze(a["axis"])
    if op == "expand":
        return t[0].expand(*a["shape"])
    if op == "permute":
        return t[0].permute(*a["axes"])
    if op == "t":
        return t[0].t()
    if op == "transpose":
        return t[0].transpose(a["a"], a["b"])
    if op == "slice":
        x = t[0]
        ax = a["axis"] % x.dim()
        idx = (slice(None),) * ax + (slice(a["start"], a["end"], a["step"]),)
        return x[idx]
    if op == "pad":
        flat = [p for pair in reversed(a["pairs"]) for p in pair]
        return F.pad(t[0], flat, mode="constant", value=a["value"])
    if op == "concat":
        return torch.cat(t, dim=a["axis"])
    if op == "stack":
        return torch.stack(t, dim=a["axis"])
    if op == "split":
        return torch.cat([p.reshape(-1) for p in torch.split(t[0], a["sizes"], dim=a["axis"])])
    if op == "chunk":
        return torch.cat([p.reshape(-1) for p in torch.chunk(t[0], a["count"], dim=a["axis"])])
    if op == "gather":
        return torch.gather(t[0], a["axis"], t[1])
    if op == "scatter_add":
        return t[0].scatter_add(a["axis"], t[1], t[2])
    if op == "index_select":
        return torch.index_select(t[0], a["axis"], t[1])
    if op == "index_add":
        return t[0].index_add(a["axis"], t[1], t[2])
    if op == "one_hot":
        return F.one_hot(t[0], a["classes"])
    if op == "matmul":
        return torch.matmul(t[0], t[1])
    if op == "matmul_t":
        x = t[0].t() if a["ta"] else t[0]
        y = t[1].t() if a["tb"] else t[1]
        return x @ y
    if op == "linear":
        return F.linear(t[0], t[1], t[2] if len(t) > 2 else None)
    if op == "batch_norm":
        return F.batch_norm(t[0], None, None, t[1], t[2], training=True, eps=a["eps"])
    if op == "layer_norm":
        x = t[0]
        return F.layer_norm(x, x.shape[x.dim() - a["rank"]:], t[1], t[2], eps=a["eps"])
    if op == "conv2d":
        return F.conv2d(t[0], t[1], t[2] if len(t) > 2 else None, stride=tuple(a["stride"]),
                        padding=tuple(a["padding"]), dilation=tuple(a["dilation"]),
                        groups=a["groups"])
    if op == "conv1d":
        return F.conv1d(t[0], t[1], t[2] if len(t) > 2 else None, stride=a["stride"],
                        padding=a["padding"], dilation=a["dilation"], groups=a["groups"])
    if op == "conv_transpose2d":
        return F.conv_transpose2d(t[0], t[1], t[2] if len(t) > 2 else None,
                                  stride=tuple(a["stride"]), padding=tuple(a["padding"]),
                                  output_padding=tuple(a["output_padding"]),
                                  groups=a["groups"], dilation=tuple(a["dilation"]))
    if op == "max_pool2d":
        return F.max_pool2d(t[0], tuple(a["kernel"]), tuple(a["stride"]), tuple(a["padding"]))
    if op == "avg_pool2d":
        return F.avg_pool2d(t[0], tuple(a["kernel"]), tuple(a["stride"]), tuple(a["padding"]),
                            count_include_pad=a["count_include_pad"])
    if op == "max_pool1d":
        return F.max_pool1d(t[0], a["kernel"], a["stride"], a["padding"])
    if op == "avg_pool1d":
        return F.avg_pool1d(t[0], a["kernel"], a["stride"], a["padding"],
                            count_include_pad=a["count_include_pad"])
    if op == "mse":
        return F.mse_loss(t[0], t[1], reduction=a["reduction"])
    if op == "l1":
        return F.l1_loss(t[0], t[1], reduction=a["reduction"])
    if op == "huber":
        return F.huber_loss(t[0], t[1], reduction=a["reduction"], delta=a["delta"])
    if op == "bce":
        return F.binary_cross_entropy(t[0], t[1], reduction=a["reduction"])
    if op == "bce_logits":
        return F.binary_cross_entropy_with_logits(t[0], t[1], reduction=a["reduction"])
    if op == "cross_entropy":
        return F.cross_entropy(t[0], t[1], label_smoothing=a["label_smoothing"],
                               reduction=a["reduction"])
    if op == "cross_entropy_probs":
        return F.cross_entropy(t[0], t[1], reduction=a["reduction"])
    if op == "kl_div":
        return F.kl_div(t[0], t[1], reduction=a["reduction"])
    if op == "hinge":
        return reduce_loss(torch.clamp(1 - t[1] * t[0], min=0), a["reduction"])
    if op == "arange":
        return torch.arange(a["start"], a["end"], a["step"], dtype=dtype)
    if op == "linspace":
        return torch.linspace(a["start"], a["end"], a["count"], dtype=dtype)
    if op == "eye":
        return torch.eye(a["n"], dtype=dtype)
    if op == "zeros":
        return torch.zeros(a["shape"], dtype=dtype)
    if op == "ones":
        return torch.ones(a["shape"], dtype=dtype)
    if op == "full":
        return torch.full(a["shape"], a["value"], dtype=dtype)
    raise KeyError(op)


# ----------------------------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------------------------

def unary_cases():
    # op: (random lo, hi, extra kwargs)
    dom = {
        "exp": (-3, 3), "log": (0.05, 5), "log1p": (-0.9, 4), "sqrt": (0.01, 9),
        "rsqrt": (0.05, 9), "sin": (-7, 7), "cos": (-7, 7), "tanh": (-3, 3), "erf": (-2.5, 2.5),
        "abs": (-3, 3), "sign": (-3, 3), "relu": (-3, 3), "sigmoid": (-6, 6),
        "softplus": (-6, 6), "squared": (-4, 4),
    }
    for op, (lo, hi) in dom.items():
        case(f"{op}/random_2x3", op, {}, lambda r, lo=lo, hi=hi: [X(U(r, (2, 3), lo, hi))])
        case(f"{op}/random_2x1x4", op, {}, lambda r, lo=lo, hi=hi: [X(U(r, (2, 1, 4), lo, hi))])
        case(f"{op}/scalar", op, {}, lambda r, lo=lo, hi=hi: [X(U(r, (), lo, hi))])

    case("exp/overflow_edge", "exp", {}, [X([88.70, 88.72, 88.7228, 88.73, 89.0])])
    case("exp/in_88.72_88.7228", "exp", {}, [X([below(88.7228)])])
    case("exp/last_finite", "exp", {}, [X([88.72283172607422, 88.72283935546875, -87.33654022216797])])
    case("exp/underflow", "exp", {}, [X([-87.0, -88.0, -100.0, -103.0, -103.97, -104.0, -105.0, -200.0])])
    case("exp/specials", "exp", {}, [X([0.0, -0.0, nan, inf, -inf, 1e-45, -1e-45, 1e-38])])
    case("log/specials", "log", {}, [X([0.0, -0.0, 1.0, -1.0, inf, -inf, nan, 1e-45, 1e-38, 3.4e38])])
    case("log1p/specials", "log1p", {}, [X([-1.0, -0.99999994, -0.5, 0.0, -0.0, 1e-10, 1e-30, inf, nan, -2.0, 1e30])])
    case("sqrt/specials", "sqrt", {}, [X([0.0, -0.0, 1e-45, 1e-38, 1.0, 4.0, inf, nan, -1.0, 3e38])])
    case("rsqrt/specials", "rsqrt", {}, [X([0.0, -0.0, 1e-45, 1e-38, 1.0, 0.25, inf, nan, -1.0, 3e38])])
    case("sin/specials", "sin", {}, [X([0.0, -0.0, f32(math.pi / 2), f32(math.pi), 100.0, 1e4, inf, -inf, nan, 1e-30])])
    case("cos/specials", "cos", {}, [X([0.0, -0.0, f32(math.pi / 2), f32(math.pi), 100.0, 1e4, inf, -inf, nan, 1e-30])])
    case("sin/large_args", "sin", {}, lambda r: [X(U(r, (6,), -1000, 1000))])
    case("cos/large_args", "cos", {}, lambda r: [X(U(r, (6,), -1000, 1000))])
    case("tanh/specials", "tanh", {}, [X([0.0, -0.0, 1e-30, 5.0, -5.0, 10.0, 20.0, -50.0, inf, -inf, nan])])
    case("erf/specials", "erf", {}, [X([0.0, -0.0, 1e-30, 0.5, 2.0, -3.0, 4.0, 6.0, 10.0, inf, -inf, nan])])
    case("abs/kinks_ties", "abs", {}, [X([-1.0, 1.0, 0.0, -0.0, 1e-45, -1e-45, 2.5, -2.5, -3e38])])
    case("abs/specials", "abs", {}, [X([inf, -inf, nan, -0.0])])
    case("sign/specials", "sign", {}, [X([-2.0, 2.0, 0.0, -0.0, 1e-45, -1e-45, inf, -inf, nan])])
    case("relu/kinks", "relu", {}, [X([-1.0, 0.0, -0.0, 1.0, 1e-45, -1e-45, inf, -inf, 2.0, 2.0])])
    case("relu/nan", "relu", {}, [X([nan])])
    case("sigmoid/specials", "sigmoid", {}, [X([0.0, -0.0, 10.0, -10.0, 20.0, -20.0, 88.8, -88.8, 104.0, -104.0, inf, -inf, nan])])
    case("softplus/zero", "softplus", {}, [X([0.0])])
    case("softplus/threshold", "softplus", {}, [X([19.5, 20.0, 20.000002, 21.0, -20.0, -30.0, -100.0, -104.0, 100.0, 1e-30, -0.0])])
    case("softplus/specials", "softplus", {}, [X([inf, -inf, nan, 88.8, -88.8])])
    case("squared/overflow_underflow", "squared", {}, [X([1e19, 1.8e19, 1.9e19, 1e20, -1e20, 1e-22, 1e-23, 1e-45, 0.0, -0.0])])
    case("squared/specials", "squared", {}, [X([inf, -inf, nan, -3.0])])

    for slope in (0.01, 0.2):
        case(f"leaky_relu/random_slope{slope}", "leaky_relu", {"negative_slope": slope},
             lambda r: [X(U(r, (2, 3, 2), -3, 3))])
    case("leaky_relu/kinks", "leaky_relu", {"negative_slope": 0.1},
         [X([-1.0, 0.0, -0.0, 1.0, 1e-45, -1e-45, inf, -inf, nan])])
    case("leaky_relu/slope_zero", "leaky_relu", {"negative_slope": 0.0}, lambda r: [X(U(r, (5,), -2, 2))])

    for alpha in (1.0, 0.5, 2.0):
        case(f"elu/random_alpha{alpha}", "elu", {"alpha": alpha}, lambda r: [X(U(r, (2, 4), -4, 3))])
    case("elu/zero_alpha1", "elu", {"alpha": 1.0}, [X([0.0])])
    case("elu/zero_alpha0.5", "elu", {"alpha": 0.5}, [X([0.0])])
    case("elu/specials", "elu", {"alpha": 1.0},
         [X([-0.0, -1e-45, 1e-45, -20.0, -88.0, -104.0, -1e30, inf, -inf, nan])])

    for approx in ("none", "tanh"):
        case(f"gelu/random_{approx}", "gelu", {"approximate": approx}, lambda r: [X(U(r, (2, 3), -4, 4))])
        case(f"gelu/random3d_{approx}", "gelu", {"approximate": approx}, lambda r: [X(N(r, (2, 2, 2), 2.0))])
        case(f"gelu/specials_{approx}", "gelu", {"approximate": approx},
             [X([-10.0, -5.0, -0.0, 0.0, 5.0, 10.0, 1e-30, inf, -inf, nan])])


def binary_cases():
    def dom(op):
        if op == "div":
            return lambda r, s: U(r, s, -2, 2), lambda r, s: (np.sign(U(r, s)) * U(r, s, 0.5, 2)).astype(F32)
        if op == "pow":
            return lambda r, s: U(r, s, 0.2, 3), lambda r, s: U(r, s, -2, 2)
        return lambda r, s: U(r, s), lambda r, s: U(r, s)

    shapes = [("same_2x3", (2, 3), (2, 3)), ("bcast_2x3_3", (2, 3), (3,)),
              ("bcast_2x1_1x3", (2, 1), (1, 3)), ("bcast_scalar_right", (2, 3), ()),
              ("bcast_scalar_left", (), (2, 2)), ("bcast_3d", (2, 1, 3), (4, 1))]
    for op in BINARY:
        da, db = dom(op)
        for name, sa, sb in shapes:
            if op in ("maximum", "minimum", "sub", "div", "pow") and name == "bcast_3d":
                continue
            case(f"{op}/{name}", op, {}, lambda r, da=da, db=db, sa=sa, sb=sb: [X(da(r, sa)), X(db(r, sb))])
        case(f"{op}/scalars", op, {}, lambda r, da=da, db=db: [X(da(r, ())), X(db(r, ()))])

    case("add/specials", "add", {}, [X([inf, -inf, inf, nan, 3e38, -3e38, 0.0, -0.0, -0.0, 1e-45]),
                                     X([-inf, -inf, 1.0, 1.0, 3e38, -3e38, -0.0, -0.0, 0.0, 1e-45])])
    case("sub/specials", "sub", {}, [X([inf, -inf, inf, nan, 3e38, -3e38, 0.0, -0.0, -0.0, 1e-45]),
                                     X([inf, inf, 1.0, 1.0, -3e38, 3e38, 0.0, 0.0, -0.0, 1e-45])])
    case("sub/large_offset", "sub", {}, [X([10000.01, 1e4, 1e20, 16777217.0]), X([1e4, 9999.99, 1e20, 16777216.0])])
    case("mul/near_overflow", "mul", {}, [X([1e38, 1e38, 2e19, 1.9e19, 1e-38, 1e-45, 1e-20, -1e38]),
                                          X([3.4, 3.5, 2e19, 1.9e19, 1e-10, 0.5, 1e-20, 4.0])])
    case("mul/specials", "mul", {}, [X([0.0, -0.0, inf, -inf, nan, 0.0, 2.0, -inf]),
                                      X([inf, 5.0, 0.0, -2.0, 1.0, -0.0, -0.0, -inf])])
    case("div/specials", "div", {}, [X([1.0, -1.0, 0.0, -0.0, inf, 1e38, 1e-38, 1e-45, nan, 3.0]),
                                      X([0.0, 0.0, 0.0, 0.0, inf, 1e-10, 1e10, 2.0, 1.0, -0.0])])
    case("div/near_overflow", "div", {}, [X([3e38, 1e-30, 1e30, 1.0]), X([0.5, 1e10, 1e-10, 3e38])])
    case("pow/zero_pow_zero", "pow", {}, [X([0.0]), X([0.0])])
    case("pow/nan_pow_zero", "pow", {}, [X([nan]), X([0.0])])
    case("pow/zero_base", "pow", {}, [X([0.0, 0.0, 0.0, 0.0, -0.0]), X([2.0, 1.0, 0.5, -1.0, 3.0])])
    case("pow/negative_base", "pow", {}, [X([-2.0, -2.0, -1.5, -8.0, -0.5]), X([2.0, 3.0, -1.0, f32(1 / 3), 0.5])])
    case("pow/near_overflow", "pow", {}, [X([10.0, 10.0, 10.0, 2.0, 2.0, 1e19, 1e-38, 10.0]),
                                          X([38.0, 38.5, 39.0, 127.0, 128.0, 2.0, 2.0, -45.0])])
    case("pow/specials", "pow", {}, [X([1.0, 1.0, inf, inf, 2.0, 0.5, nan, 4.0]),
                                      X([nan, inf, 2.0, -1.0, inf, inf, 1.0, -inf])])
    for op in ("maximum", "minimum"):
        case(f"{op}/ties", op, {}, [X([1.0, 2.0, -3.0, 0.5, 7.0, -1.0]), X([1.0, 2.0, -3.0, 0.25, 7.0, -2.0])])
        case(f"{op}/ties_bcast", op, {}, [X([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), X([2.0])])
        case(f"{op}/signed_zero", op, {}, [X([0.0, -0.0, 0.0, -0.0]), X([-0.0, 0.0, 0.0, -0.0])])
        case(f"{op}/nan_left", op, {}, [X([nan, nan, nan]), X([1.0, -inf, inf])])
        case(f"{op}/nan_right", op, {}, [X([1.0, -inf, inf]), X([nan, nan, nan])])
        case(f"{op}/nan_both", op, {}, [X([nan, 2.0]), X([nan, 3.0])])
        case(f"{op}/infs", op, {}, [X([inf, -inf, inf, 3e38]), X([-inf, -inf, 5.0, inf])])

    grid = np.array([-1.0, -0.5, 0.0, 0.5, 1.0], dtype=F32)
    for op in COMPARE:
        case(f"{op}/ties_2x3", op, {}, lambda r: [C(r.choice(grid, (2, 3))), C(r.choice(grid, (2, 3)))])
        case(f"{op}/bcast_2x1_1x3", op, {}, lambda r: [C(r.choice(grid, (2, 1))), C(r.choice(grid, (1, 3)))])
        case(f"{op}/bcast_scalar", op, {}, lambda r: [C(r.choice(grid, (2, 3))), C([0.5], ())])
        case(f"{op}/specials", op, {}, [C([nan, nan, 1.0, inf, -inf, 0.0, -0.0, inf, 3e38, -inf]),
                                        C([nan, 1.0, nan, inf, inf, -0.0, 0.0, 3e38, inf, -inf])])

    for e in (2.0, 3.0, -1.0):
        case(f"pow_scalar/random_exp{e}", "pow_scalar", {"exponent": e},
             lambda r: [X((np.sign(U(r, (2, 3))) * U(r, (2, 3), 0.3, 2)).astype(F32))])
    for e in (0.5, -0.5, 1.5, 2.5, 0.0, 1.0):
        case(f"pow_scalar/random_exp{e}", "pow_scalar", {"exponent": e}, lambda r: [X(U(r, (2, 3), 0.1, 3))])
    case("pow_scalar/zero_base_exp0.5", "pow_scalar", {"exponent": 0.5}, [X([0.0, -0.0, 1e-45, 4.0, -1.0, inf])])
    case("pow_scalar/zero_base_exp2", "pow_scalar", {"exponent": 2.0}, [X([0.0, -0.0, 1e19, 2e19, nan, inf, -inf])])
    case("pow_scalar/zero_base_exp1.5", "pow_scalar", {"exponent": 1.5}, [X([0.0, -0.0, -2.0, 1.0, 1e-45])])
    case("pow_scalar/exp0_specials", "pow_scalar", {"exponent": 0.0}, [X([0.0, -0.0, nan, inf, -inf, -2.0])])
    case("pow_scalar/exp-1_specials", "pow_scalar", {"exponent": -1.0}, [X([0.0, -0.0, inf, 1e-39, -4.0])])
    case("pow_scalar/exp3_overflow", "pow_scalar", {"exponent": 3.0}, [X([7e12, 6.9e12, -7e12, 1e-15])])

    case("where/same_shape", "where", {}, lambda r: [C(r.randint(0, 2, (2, 3))), X(U(r, (2, 3))), X(U(r, (2, 3)))])
    case("where/bcast", "where", {}, lambda r: [C(r.randint(0, 2, (2, 1))), X(U(r, (2, 3))), X(U(r, (3,)))])
    case("where/bcast_cond", "where", {}, lambda r: [C([1.0, 0.0, 1.0]), X(U(r, (2, 1))), X(U(r, (2, 3)))])
    case("where/scalar_branch", "where", {}, lambda r: [C(r.randint(0, 2, (4,))), X(U(r, (4,))), X(U(r, ()))])
    case("where/nonfinite_unselected", "where", {}, [C([1.0, 0.0, 1.0, 0.0]), X([1.0, nan, 2.0, inf]), X([nan, 3.0, -inf, 4.0])])

    case("clamp/random_both", "clamp", {"min": -0.5, "max": 0.5}, lambda r: [X(U(r, (2, 4)))])
    case("clamp/random_min_only", "clamp", {"min": 0.0, "max": None}, lambda r: [X(U(r, (2, 3)))])
    case("clamp/random_max_only", "clamp", {"min": None, "max": 1.0}, lambda r: [X(U(r, (3, 2)))])
    case("clamp/at_bounds", "clamp", {"min": -0.5, "max": 0.5},
         [X([-0.5, 0.5, -0.5, 0.5, 0.0, 1.0, -1.0, 0.49999997, -0.50000006])])
    case("clamp/specials", "clamp", {"min": -1.0, "max": 1.0}, [X([nan, inf, -inf, -0.0])])


def reduction_cases():
    configs = [
        ("axis1_2x3x4", (2, 3, 4), [1], False), ("axis-1_keep_2x3x4", (2, 3, 4), [-1], True),
        ("axes0_2_2x3x4", (2, 3, 4), [0, 2], False), ("axes-3_-1_keep", (2, 3, 4), [-3, -1], True),
        ("axis0_2x3", (2, 3), [0], False), ("size1_axis_3x1x2", (3, 1, 2), [1], False),
        ("all_axes_2x3", (2, 3), [0, 1], False),
    ]
    for op in ("sum", "mean", "amax", "amin"):
        for name, shape, axes, keep in configs:
            case(f"{op}/{name}", op, {"axes": axes, "keepdim": keep}, lambda r, shape=shape: [X(distinct(r, shape))])
        case(f"{op}/specials", op, {"axes": [1], "keepdim": False},
             [X([[1.0, inf, 2.0], [-inf, inf, 0.0], [nan, 1.0, 2.0], [3e38, 3e38, -0.0]])])
    case("sum/large_offset", "sum", {"axes": [0], "keepdim": False}, [X([1e4 + 0.01, 1e4 - 0.01, 1e4, 1e4 + 0.02])])
    case("sum/overflow_partial", "sum", {"axes": [0], "keepdim": False}, [X([3e38, 3e38, -3e38])])
    case("mean/large_offset", "mean", {"axes": [1], "keepdim": True},
         [X([[1e4 + 0.01, 1e4 - 0.01, 1e4, 1e4 + 0.02], [1e20, 1e20, -1e20, 3e20]])])
    case("mean/near_overflow", "mean", {"axes": [0], "keepdim": False}, [X([3e38, 3e38])])
    for op in ("amax", "amin"):
        case(f"{op}/ties", op, {"axes": [1], "keepdim": False}, [X([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [-3.0, 1.0, -3.0]])])
        case(f"{op}/nan", op, {"axes": [1], "keepdim": True}, [X([[1.0, nan, 3.0], [2.0, 5.0, 4.0]])])
        case(f"{op}/signed_zero", op, {"axes": [0], "keepdim": False}, [X([0.0, -0.0])])
        case(f"{op}/ties_multi_axes", op, {"axes": [0, 2], "keepdim": False},
             [X([[[1.0, 2.0], [0.0, 0.0]], [[2.0, 1.0], [0.0, -1.0]]])])

    for op in ("sum_all", "mean_all", "amax_all", "amin_all"):
        case(f"{op}/random_2x3", op, {}, lambda r: [X(distinct(r, (2, 3)))])
        case(f"{op}/random_3x1x2", op, {}, lambda r: [X(distinct(r, (3, 1, 2)))])
        case(f"{op}/scalar_input", op, {}, lambda r: [X(U(r, ()))])
    case("sum_all/specials", "sum_all", {}, [X([1.0, inf, 2.0])])
    case("mean_all/large_offset", "mean_all", {}, [X([1e4 + 0.01, 1e4 - 0.01, 1e4, 1e4 + 0.02])])
    case("amax_all/ties", "amax_all", {}, [X([[3.0, 1.0], [3.0, 3.0]])])
    case("amin_all/ties", "amin_all", {}, [X([[-1.0, 1.0], [-1.0, 2.0]])])
    case("amax_all/nan", "amax_all", {}, [X([1.0, nan, 3.0, inf])])
    case("amin_all/nan", "amin_all", {}, [X([1.0, nan, -3.0, -inf])])

    for op in ("argmax", "argmin"):
        case(f"{op}/axis1_2x3x4", op, {"axis": 1, "keepdim": False}, lambda r: [C(distinct(r, (2, 3, 4)))])
        case(f"{op}/axis-1_keep", op, {"axis": -1, "keepdim": True}, lambda r: [C(distinct(r, (3, 4)))])
        case(f"{op}/axis0_3x4", op, {"axis": 0, "keepdim": False}, lambda r: [C(distinct(r, (3, 4)))])
        case(f"{op}/1d", op, {"axis": 0, "keepdim": False}, lambda r: [C(distinct(r, (7,)))])
        case(f"{op}/ties", op, {"axis": 1, "keepdim": False},
             [C([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [-1.0, 0.0, -1.0, 0.0], [0.0, -0.0, 0.0, -0.0]])])
        case(f"{op}/nan", op, {"axis": 1, "keepdim": False}, [C([[1.0, nan, 3.0], [inf, -inf, 0.0]])])

    for op in ("var", "std"):
        case(f"{op}/axis1_c1", op, {"axes": [1], "correction": 1, "keepdim": False}, lambda r: [X(N(r, (2, 3, 4)))])
        case(f"{op}/axis-1_c0_keep", op, {"axes": [-1], "correction": 0, "keepdim": True}, lambda r: [X(N(r, (2, 3, 4)))])
        case(f"{op}/axes0_2_c1", op, {"axes": [0, 2], "correction": 1, "keepdim": False}, lambda r: [X(N(r, (2, 3, 4)))])
        case(f"{op}/all_axes_c1", op, {"axes": [0, 1], "correction": 1, "keepdim": False}, lambda r: [X(N(r, (3, 4)))])
        case(f"{op}/order_1e20", op, {"axes": [1], "correction": 1, "keepdim": False}, lambda r: [X(N(r, (2, 5), 1e20))])
        case(f"{op}/order_1e-30", op, {"axes": [1], "correction": 1, "keepdim": False}, lambda r: [X(N(r, (2, 5), 1e-30))])
        case(f"{op}/offset_1e4", op, {"axes": [0], "correction": 1, "keepdim": False},
             lambda r: [X((1e4 + r.uniform(-0.01, 0.01, (6, 2))).astype(F32))])
        case(f"{op}/constant_row", op, {"axes": [1], "correction": 1, "keepdim": False},
             [X([[5.0, 5.0, 5.0, 5.0], [1.0, 2.0, 3.0, 4.0]])])
        case(f"{op}/size1_axis_c0", op, {"axes": [1], "correction": 0, "keepdim": False}, lambda r: [X(N(r, (3, 1)))])
        case(f"{op}/size1_axis_c1", op, {"axes": [1], "correction": 1, "keepdim": True}, lambda r: [X(N(r, (2, 1)))])
        case(f"{op}/specials", op, {"axes": [1], "correction": 1, "keepdim": False},
             [X([[1.0, nan, 2.0], [1.0, inf, 2.0], [3e19, -3e19, 0.0]])])

    lse = [("axis1", (2, 3, 4), [1], False), ("axis-1_keep", (2, 3, 4), [-1], True),
           ("axes0_2", (2, 3, 4), [0, 2], False), ("size1_axis", (3, 1), [1], False)]
    for name, shape, axes, keep in lse:
        case(f"logsumexp/{name}", "logsumexp", {"axes": axes, "keepdim": keep}, lambda r, shape=shape: [X(N(r, shape, 2.0))])
    case("logsumexp/large", "logsumexp", {"axes": [1], "keepdim": False},
         [X([[1000.0, 1000.5, 999.0], [-1000.0, -1000.5, -999.0], [88.0, 89.0, 90.0]])])
    case("logsumexp/neg_inf", "logsumexp", {"axes": [1], "keepdim": False}, [X([[-inf, -inf, -inf], [0.0, -inf, 1.0]])])
    case("logsumexp/pos_inf_nan", "logsumexp", {"axes": [1], "keepdim": False}, [X([[inf, 0.0, 1.0], [nan, 0.0, 1.0]])])
    case("logsumexp/order_1e20", "logsumexp", {"axes": [1], "keepdim": False}, lambda r: [X(N(r, (2, 4), 1e20))])
    case("logsumexp/order_1e-30", "logsumexp", {"axes": [1], "keepdim": False}, lambda r: [X(N(r, (2, 4), 1e-30))])

    for op in ("softmax", "log_softmax"):
        case(f"{op}/axis-1_2x5", op, {"axis": -1}, lambda r: [X(N(r, (2, 5), 2.0))])
        case(f"{op}/axis0_3x4", op, {"axis": 0}, lambda r: [X(N(r, (3, 4), 2.0))])
        case(f"{op}/axis1_2x3x4", op, {"axis": 1}, lambda r: [X(N(r, (2, 3, 4)))])
        case(f"{op}/large", op, {"axis": -1}, [X([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]])])
        case(f"{op}/neg_inf_masked", op, {"axis": -1}, [X([[0.0, -inf, 1.0, -inf], [-inf, -inf, -inf, 2.0]])])
        case(f"{op}/all_neg_inf", op, {"axis": -1}, [X([[-inf, -inf, -inf]])])
        case(f"{op}/order_1e20", op, {"axis": -1}, lambda r: [X(N(r, (2, 4), 1e20))])
        case(f"{op}/order_1e-30", op, {"axis": -1}, lambda r: [X(N(r, (2, 4), 1e-30))])
        case(f"{op}/ties", op, {"axis": -1}, [X([[2.0, 2.0, 2.0, 2.0], [0.0, 0.0, -0.0, 1.0]])])
        case(f"{op}/size1_axis", op, {"axis": 1}, lambda r: [X(N(r, (3, 1)))])


def shape_cases():
    def rnd(shape):
        return lambda r: [X(distinct(r, shape))]

    case("reshape/2x3x4_to_4x6", "reshape", {"shape": [4, 6]}, rnd((2, 3, 4)))
    case("reshape/6_to_2x1x3", "reshape", {"shape": [2, 1, 3]}, rnd((6,)))
    case("reshape/2x3_to_6", "reshape", {"shape": [6]}, rnd((2, 3)))
    case("reshape/1_to_scalar", "reshape", {"shape": []}, rnd((1,)))
    case("reshape/infer_minus1", "reshape", {"shape": [-1, 4]}, rnd((2, 3, 4)))
    case("flatten/start1_end-1", "flatten", {"start": 1, "end": -1}, rnd((2, 3, 4)))
    case("flatten/start0_end1", "flatten", {"start": 0, "end": 1}, rnd((2, 3, 4)))
    case("flatten/all", "flatten", {"start": 0, "end": -1}, rnd((2, 3, 2)))
    case("flatten/noop", "flatten", {"start": 0, "end": 0}, rnd((2, 3)))
    case("squeeze/axis0", "squeeze", {"axes": [0]}, rnd((1, 3, 1, 2)))
    case("squeeze/axes0_2", "squeeze", {"axes": [0, 2]}, rnd((1, 3, 1, 2)))
    case("squeeze/axis-2", "squeeze", {"axes": [-2]}, rnd((1, 3, 1, 2)))
    case("squeeze/to_scalar", "squeeze", {"axes": [0, 1]}, rnd((1, 1)))
    case("unsqueeze/axis0", "unsqueeze", {"axis": 0}, rnd((2, 3)))
    case("unsqueeze/axis-1", "unsqueeze", {"axis": -1}, rnd((2, 3)))
    case("unsqueeze/axis1", "unsqueeze", {"axis": 1}, rnd((2, 3)))
    case("unsqueeze/scalar", "unsqueeze", {"axis": 0}, rnd(()))
    case("expand/3x1_to_3x4", "expand", {"shape": [3, 4]}, rnd((3, 1)))
    case("expand/3_to_2x3", "expand", {"shape": [2, 3]}, rnd((3,)))
    case("expand/1x1_to_2x3", "expand", {"shape": [2, 3]}, rnd((1, 1)))
    case("expand/2x1x3_to_2x4x3", "expand", {"shape": [2, 4, 3]}, rnd((2, 1, 3)))
    case("expand/scalar_to_2x2", "expand", {"shape": [2, 2]}, rnd(()))
    case("permute/201", "permute", {"axes": [2, 0, 1]}, rnd((2, 3, 4)))
    case("permute/102", "permute", {"axes": [1, 0, 2]}, rnd((2, 3, 4)))
    case("permute/4d", "permute", {"axes": [3, 1, 0, 2]}, rnd((2, 1, 3, 2)))
    case("permute/negative", "permute", {"axes": [-1, 0, 1]}, rnd((2, 3, 2)))
    case("t/2x3", "t", {}, rnd((2, 3)))
    case("t/1x4", "t", {}, rnd((1, 4)))
    case("t/3x3", "t", {}, rnd((3, 3)))
    case("transpose/0_2", "transpose", {"a": 0, "b": 2}, rnd((2, 3, 4)))
    case("transpose/-1_-2", "transpose", {"a": -1, "b": -2}, rnd((2, 3, 4)))
    case("transpose/same_axis", "transpose", {"a": 1, "b": 1}, rnd((2, 3)))
    case("slice/1d", "slice", {"axis": 0, "start": 1, "end": 4, "step": 1}, rnd((5,)))
    case("slice/step2_end_null", "slice", {"axis": 1, "start": 0, "end": None, "step": 2}, rnd((3, 6)))
    case("slice/axis-2_step3", "slice", {"axis": -2, "start": 1, "end": 5, "step": 3}, rnd((2, 5, 3)))
    case("slice/axis0_tail", "slice", {"axis": 0, "start": 2, "end": None, "step": 1}, rnd((4, 3)))
    case("slice/end_past_size", "slice", {"axis": 1, "start": 1, "end": 10, "step": 2}, rnd((2, 4)))
    case("slice/empty", "slice", {"axis": 1, "start": 2, "end": 2, "step": 1}, rnd((2, 4)))
    case("pad/2d", "pad", {"pairs": [[1, 0], [2, 1]], "value": 0.0}, rnd((2, 3)))
    case("pad/spatial_4d", "pad", {"pairs": [[0, 0], [0, 0], [1, 1], [1, 1]], "value": 0.0}, rnd((1, 2, 3, 3)))
    case("pad/1d_value", "pad", {"pairs": [[2, 3]], "value": -1.5}, rnd((3,)))
    case("pad/3d_value", "pad", {"pairs": [[0, 1], [0, 0], [1, 0]], "value": 0.5}, rnd((2, 2, 2)))
    case("concat/axis0", "concat", {"axis": 0}, lambda r: [X(distinct(r, (2, 3))), X(distinct(r, (1, 3)))])
    case("concat/axis1_three", "concat", {"axis": 1},
         lambda r: [X(distinct(r, (2, 1))), X(distinct(r, (2, 3))), X(distinct(r, (2, 2)))])
    case("concat/axis-1", "concat", {"axis": -1}, lambda r: [X(distinct(r, (2, 3, 2))), X(distinct(r, (2, 3, 1)))])
    case("concat/1d", "concat", {"axis": 0}, lambda r: [X(distinct(r, (3,))), X(distinct(r, (2,)))])
    case("stack/axis0", "stack", {"axis": 0}, lambda r: [X(distinct(r, (2, 3))), X(distinct(r, (2, 3)))])
    case("stack/axis1_three", "stack", {"axis": 1}, lambda r: [X(distinct(r, (2, 3))) for _ in range(3)])
    case("stack/axis-1", "stack", {"axis": -1}, lambda r: [X(distinct(r, (2, 2))), X(distinct(r, (2, 2)))])
    case("stack/scalars", "stack", {"axis": 0}, lambda r: [X(U(r, ())) for _ in range(3)])
    case("split/1d", "split", {"sizes": [1, 2, 3], "axis": 0}, rnd((6,)))
    case("split/axis1", "split", {"sizes": [2, 3], "axis": 1}, rnd((2, 5)))
    case("split/axis-2", "split", {"sizes": [1, 1, 2], "axis": -2}, rnd((4, 3)))
    case("split/one_piece", "split", {"sizes": [4], "axis": 1}, rnd((3, 4)))
    case("chunk/even", "chunk", {"count": 3, "axis": 0}, rnd((6,)))
    case("chunk/uneven", "chunk", {"count": 3, "axis": 0}, rnd((5,)))
    case("chunk/axis1", "chunk", {"count": 2, "axis": 1}, rnd((2, 6, 1)))
    case("chunk/axis-1_uneven", "chunk", {"count": 4, "axis": -1}, rnd((2, 5)))


def indexing_cases():
    case("gather/axis1_repeats", "gather", {"axis": 1}, lambda r: [X(distinct(r, (3, 4))), I([[0, 0], [3, 1], [2, 2]])])
    case("gather/axis0", "gather", {"axis": 0}, lambda r: [X(distinct(r, (3, 4))), I(r.randint(0, 3, (2, 4)))])
    case("gather/axis-1_3d", "gather", {"axis": -1}, lambda r: [X(distinct(r, (2, 3, 4))), I(r.randint(0, 4, (2, 3, 2)))])
    case("gather/smaller_index", "gather", {"axis": 1}, lambda r: [X(distinct(r, (3, 5))), I(r.randint(0, 5, (2, 3)))])
    case("scatter_add/axis0", "scatter_add", {"axis": 0},
         lambda r: [X(distinct(r, (3, 4))), I(r.randint(0, 3, (2, 4))), X(distinct(r, (2, 4)))])
    case("scatter_add/axis1", "scatter_add", {"axis": 1},
         lambda r: [X(distinct(r, (3, 5))), I(r.randint(0, 5, (3, 2))), X(distinct(r, (3, 2)))])
    case("scatter_add/axis-1_3d", "scatter_add", {"axis": -1},
         lambda r: [X(distinct(r, (2, 2, 3))), I(r.randint(0, 3, (2, 2, 3))), X(distinct(r, (2, 2, 3)))])
    case("scatter_add/collisions", "scatter_add", {"axis": 0},
         [X([0.5, -1.0, 2.0]), I([1, 1, 1, 0]), X([1.0, 2.0, 3.0, 4.0])])
    case("index_select/axis0_repeats", "index_select", {"axis": 0}, lambda r: [X(distinct(r, (4, 3))), I([2, 0, 2])])
    case("index_select/axis1", "index_select", {"axis": 1}, lambda r: [X(distinct(r, (2, 5))), I([4, 1])])
    case("index_select/axis-2_3d", "index_select", {"axis": -2}, lambda r: [X(distinct(r, (2, 3, 2))), I([1, 1, 1, 0])])
    case("index_add/axis0", "index_add", {"axis": 0},
         lambda r: [X(distinct(r, (4, 3))), I([0, 2, 0]), X(distinct(r, (3, 3)))])
    case("index_add/axis1", "index_add", {"axis": 1},
         lambda r: [X(distinct(r, (2, 4))), I([3, 1]), X(distinct(r, (2, 2)))])
    case("index_add/axis-1_3d", "index_add", {"axis": -1},
         lambda r: [X(distinct(r, (2, 2, 3))), I([2, 2, 0, 1]), X(distinct(r, (2, 2, 4)))])
    case("one_hot/1d", "one_hot", {"classes": 5}, [I([0, 3, 4, 3])])
    case("one_hot/2d", "one_hot", {"classes": 4}, lambda r: [I(r.randint(0, 4, (2, 3)))])
    case("one_hot/single_class", "one_hot", {"classes": 1}, [I([0, 0])])
    case("one_hot/scalar", "one_hot", {"classes": 3}, [I(2, ())])


def matrix_cases():
    case("matmul/dot_1d_1d", "matmul", {}, lambda r: [X(U(r, (4,))), X(U(r, (4,)))])
    case("matmul/1d_2d", "matmul", {}, lambda r: [X(U(r, (3,))), X(U(r, (3, 2)))])
    case("matmul/2d_1d", "matmul", {}, lambda r: [X(U(r, (2, 3))), X(U(r, (3,)))])
    case("matmul/2d_2d", "matmul", {}, lambda r: [X(U(r, (2, 3))), X(U(r, (3, 4)))])
    case("matmul/batched_3d_3d", "matmul", {}, lambda r: [X(U(r, (2, 2, 3))), X(U(r, (2, 3, 2)))])
    case("matmul/bcast_3d_2d", "matmul", {}, lambda r: [X(U(r, (2, 2, 3))), X(U(r, (3, 2)))])
    case("matmul/bcast_batch1", "matmul", {}, lambda r: [X(U(r, (1, 2, 3))), X(U(r, (3, 3, 2)))])
    case("matmul/near_overflow", "matmul", {}, [X([[2e19, 1e19], [2e19, 2e19]]), X([[1e19], [1e19]])])
    case("matmul/cancellation", "matmul", {}, [X([1e4, 1.0, -1e4]), X([1e4, 0.5, 1e4])])
    for ta in (False, True):
        for tb in (False, True):
            sa = (3, 2) if ta else (2, 3)
            sb = (4, 3) if tb else (3, 4)
            case(f"matmul_t/ta{int(ta)}_tb{int(tb)}", "matmul_t", {"ta": ta, "tb": tb},
                 lambda r, sa=sa, sb=sb: [X(U(r, sa)), X(U(r, sb))])
    case("matmul_t/square_tt", "matmul_t", {"ta": True, "tb": True}, lambda r: [X(U(r, (3, 3))), X(U(r, (3, 3)))])
    case("linear/bias", "linear", {}, lambda r: [X(U(r, (4, 3))), X(U(r, (2, 3))), X(U(r, (2,)))])
    case("linear/no_bias", "linear", {}, lambda r: [X(U(r, (2, 3))), X(U(r, (4, 3)))])
    case("linear/1d_input", "linear", {}, lambda r: [X(U(r, (3,))), X(U(r, (2, 3))), X(U(r, (2,)))])
    case("linear/3d_input", "linear", {}, lambda r: [X(U(r, (2, 2, 3))), X(U(r, (4, 3))), X(U(r, (4,)))])


def norm_cases():
    case("batch_norm/2d", "batch_norm", {"eps": 1e-5}, lambda r: [X(N(r, (4, 3))), X(U(r, (3,), 0.5, 1.5)), X(U(r, (3,)))])
    case("batch_norm/4d", "batch_norm", {"eps": 1e-5},
         lambda r: [X(N(r, (2, 3, 2, 2))), X(U(r, (3,), 0.5, 1.5)), X(U(r, (3,)))])
    case("batch_norm/eps1e-3_constant_channel", "batch_norm", {"eps": 1e-3},
         [X([[1.0, 0.5], [1.0, -1.0], [1.0, 2.0]]), X([1.5, 0.5]), X([0.25, -0.5])])
    case("batch_norm/offset_1e4", "batch_norm", {"eps": 1e-5},
         lambda r: [X((1e4 + r.uniform(-0.01, 0.01, (5, 2))).astype(F32)), X([1.0, 2.0]), X([0.0, 0.5])])
    case("batch_norm/4d_1x1", "batch_norm", {"eps": 1e-5}, lambda r: [X(N(r, (3, 2, 1, 1))), X([1.0, -1.0]), X([0.0, 0.1])])
    case("layer_norm/rank1", "layer_norm", {"rank": 1, "eps": 1e-5},
         lambda r: [X(N(r, (2, 5))), X(U(r, (5,), 0.5, 1.5)), X(U(r, (5,)))])
    case("layer_norm/rank2", "layer_norm", {"rank": 2, "eps": 1e-5},
         lambda r: [X(N(r, (2, 3, 4))), X(U(r, (3, 4), 0.5, 1.5)), X(U(r, (3, 4)))])
    case("layer_norm/constant_row", "layer_norm", {"rank": 1, "eps": 1e-5},
         [X([[2.0, 2.0, 2.0, 2.0], [1.0, 2.0, 3.0, 4.0]]), X([1.0, 0.5, 2.0, 1.0]), X([0.0, 0.1, 0.2, 0.3])])
    case("layer_norm/order_1e20", "layer_norm", {"rank": 1, "eps": 1e-5},
         lambda r: [X(N(r, (2, 4), 1e20)), X(U(r, (4,), 0.5, 1.5)), X(U(r, (4,)))])
    case("layer_norm/offset_1e4", "layer_norm", {"rank": 1, "eps": 1e-5},
         lambda r: [X((1e4 + r.uniform(-0.01, 0.01, (2, 6))).astype(F32)), X(U(r, (6,), 0.5, 1.5)), X(U(r, (6,)))])
    case("layer_norm/order_1e-30", "layer_norm", {"rank": 1, "eps": 1e-5},
         lambda r: [X(N(r, (2, 3), 1e-30)), X(U(r, (3,), 0.5, 1.5)), X(U(r, (3,)))])
    case("layer_norm/eps1e-3", "layer_norm", {"rank": 1, "eps": 1e-3},
         lambda r: [X(N(r, (3, 3), 0.1)), X(U(r, (3,), 0.5, 1.5)), X(U(r, (3,)))])


def conv_cases():
    def cv2(stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
        return {"stride": list(stride), "padding": list(padding), "dilation": list(dilation), "groups": groups}

    case("conv2d/basic", "conv2d", cv2(), lambda r: [X(U(r, (1, 2, 5, 5))), X(U(r, (3, 2, 3, 3), -0.5, 0.5))])
    case("conv2d/bias_stride2_pad1", "conv2d", cv2((2, 2), (1, 1)),
         lambda r: [X(U(r, (2, 2, 5, 5))), X(U(r, (2, 2, 3, 3), -0.5, 0.5)), X(U(r, (2,)))])
    case("conv2d/dilation2", "conv2d", cv2(dilation=(2, 2)), lambda r: [X(U(r, (1, 1, 6, 6))), X(U(r, (2, 1, 2, 2)))])
    case("conv2d/groups2_pad1", "conv2d", cv2(padding=(1, 1), groups=2),
         lambda r: [X(U(r, (1, 4, 4, 4))), X(U(r, (4, 2, 3, 3), -0.5, 0.5)), X(U(r, (4,)))])
    case("conv2d/rect_stride_pad", "conv2d", cv2((1, 2), (1, 0)),
         lambda r: [X(U(r, (1, 2, 4, 6))), X(U(r, (2, 2, 2, 3), -0.5, 0.5))])
    case("conv2d/depthwise", "conv2d", cv2(groups=3), lambda r: [X(U(r, (1, 3, 4, 4))), X(U(r, (3, 1, 2, 2)))])
    case("conv2d/1x1", "conv2d", cv2(), lambda r: [X(U(r, (2, 3, 2, 2))), X(U(r, (2, 3, 1, 1))), X(U(r, (2,)))])

    def cv1(stride=1, padding=0, dilation=1, groups=1):
        return {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}

    case("conv1d/basic", "conv1d", cv1(), lambda r: [X(U(r, (1, 2, 7))), X(U(r, (3, 2, 3), -0.5, 0.5))])
    case("conv1d/bias_stride2_pad1", "conv1d", cv1(2, 1),
         lambda r: [X(U(r, (2, 2, 6))), X(U(r, (2, 2, 3), -0.5, 0.5)), X(U(r, (2,)))])
    case("conv1d/dilation2", "conv1d", cv1(dilation=2), lambda r: [X(U(r, (1, 1, 8))), X(U(r, (2, 1, 3)))])
    case("conv1d/groups2", "conv1d", cv1(padding=1, groups=2),
         lambda r: [X(U(r, (1, 4, 6))), X(U(r, (2, 2, 3), -0.5, 0.5)), X(U(r, (2,)))])

    def ct(stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1):
        return {"stride": list(stride), "padding": list(padding), "output_padding": list(output_padding),
                "dilation": list(dilation), "groups": groups}

    case("conv_transpose2d/basic", "conv_transpose2d", ct(),
         lambda r: [X(U(r, (1, 2, 3, 3))), X(U(r, (2, 3, 3, 3), -0.5, 0.5))])
    case("conv_transpose2d/stride2_pad1_outpad1_bias", "conv_transpose2d", ct((2, 2), (1, 1), (1, 1)),
         lambda r: [X(U(r, (1, 2, 3, 3))), X(U(r, (2, 2, 3, 3), -0.5, 0.5)), X(U(r, (2,)))])
    case("conv_transpose2d/groups2", "conv_transpose2d", ct(groups=2),
         lambda r: [X(U(r, (1, 4, 2, 2))), X(U(r, (4, 1, 3, 3), -0.5, 0.5)), X(U(r, (2,)))])
    case("conv_transpose2d/dilation2", "conv_transpose2d", ct(dilation=(2, 2)),
         lambda r: [X(U(r, (1, 1, 3, 3))), X(U(r, (1, 2, 2, 2)))])
    case("conv_transpose2d/rect_stride_pad", "conv_transpose2d", ct((2, 1), (0, 1)),
         lambda r: [X(U(r, (2, 1, 2, 3))), X(U(r, (1, 2, 2, 3), -0.5, 0.5))])

    def mp(kernel, stride, padding):
        return {"kernel": list(kernel), "stride": list(stride), "padding": list(padding)}

    case("max_pool2d/k2s2", "max_pool2d", mp((2, 2), (2, 2), (0, 0)), lambda r: [X(distinct(r, (1, 2, 4, 4)))])
    case("max_pool2d/k3s2p1", "max_pool2d", mp((3, 3), (2, 2), (1, 1)), lambda r: [X(distinct(r, (1, 1, 5, 5)))])
    case("max_pool2d/k2s1_overlap", "max_pool2d", mp((2, 2), (1, 1), (0, 0)), lambda r: [X(distinct(r, (2, 1, 3, 4)))])
    case("max_pool2d/rect_k2x3_s2x1_p1", "max_pool2d", mp((2, 3), (2, 1), (1, 1)), lambda r: [X(distinct(r, (1, 1, 4, 4)))])
    case("max_pool2d/ties", "max_pool2d", mp((2, 2), (2, 2), (0, 0)),
         [X([[[[1.0, 1.0, 0.0, 2.0], [0.5, 1.0, 2.0, 2.0], [3.0, -1.0, -5.0, -5.0], [-1.0, 3.0, -5.0, -5.0]]]])])
    case("max_pool2d/nonfinite", "max_pool2d", mp((2, 2), (2, 2), (0, 0)),
         [X([[[[1.0, nan, -inf, -inf], [0.5, 2.0, -inf, -inf], [inf, 1.0, -1.0, 0.0], [2.0, 3.0, -2.0, -0.5]]]])])

    def ap(kernel, stride, padding, cip):
        return {"kernel": list(kernel), "stride": list(stride), "padding": list(padding), "count_include_pad": cip}

    case("avg_pool2d/k2s2", "avg_pool2d", ap((2, 2), (2, 2), (0, 0), True), lambda r: [X(U(r, (1, 2, 4, 4)))])
    case("avg_pool2d/k3s2p1_include_pad", "avg_pool2d", ap((3, 3), (2, 2), (1, 1), True), lambda r: [X(U(r, (1, 1, 5, 5)))])
    case("avg_pool2d/k3s2p1_exclude_pad", "avg_pool2d", ap((3, 3), (2, 2), (1, 1), False), lambda r: [X(U(r, (1, 1, 5, 5)))])
    case("avg_pool2d/rect_exclude_pad", "avg_pool2d", ap((2, 3), (1, 2), (1, 1), False), lambda r: [X(U(r, (2, 1, 3, 4)))])

    def mp1(k, s, p):
        return {"kernel": k, "stride": s, "padding": p}

    case("max_pool1d/k2s2", "max_pool1d", mp1(2, 2, 0), lambda r: [X(distinct(r, (1, 2, 6)))])
    case("max_pool1d/k3s2p1", "max_pool1d", mp1(3, 2, 1), lambda r: [X(distinct(r, (2, 1, 7)))])
    case("max_pool1d/k3s1_overlap", "max_pool1d", mp1(3, 1, 0), lambda r: [X(distinct(r, (1, 1, 6)))])
    case("max_pool1d/ties", "max_pool1d", mp1(2, 2, 0), [X([[[1.0, 1.0, -2.0, -2.0, 0.0, 3.0]]])])

    def ap1(k, s, p, cip):
        return {"kernel": k, "stride": s, "padding": p, "count_include_pad": cip}

    case("avg_pool1d/k2s2", "avg_pool1d", ap1(2, 2, 0, True), lambda r: [X(U(r, (1, 2, 6)))])
    case("avg_pool1d/k3s2p1_include_pad", "avg_pool1d", ap1(3, 2, 1, True), lambda r: [X(U(r, (2, 1, 7)))])
    case("avg_pool1d/k3s2p1_exclude_pad", "avg_pool1d", ap1(3, 2, 1, False), lambda r: [X(U(r, (2, 1, 7)))])
    case("avg_pool1d/k4s1", "avg_pool1d", ap1(4, 1, 0, True), lambda r: [X(U(r, (1, 1, 6)))])


def loss_cases():
    for op in ("mse", "l1"):
        for red in ("mean", "sum", "none"):
            case(f"{op}/{red}", op, {"reduction": red}, lambda r: [X(U(r, (4, 3))), C(U(r, (4, 3)))])
        case(f"{op}/target_grad", op, {"reduction": "mean"}, lambda r: [X(U(r, (2, 3))), X(U(r, (2, 3)))])
    case("l1/kink_equal", "l1", {"reduction": "none"}, [X([1.0, -0.5, 0.0, 2.0]), C([1.0, -0.5, -0.0, 1.0])])
    case("mse/kink_equal", "mse", {"reduction": "sum"}, [X([1.0, -0.5, 0.0]), C([1.0, -0.5, -0.0])])
    case("mse/overflow", "mse", {"reduction": "none"}, [X([2e19, 1e19, 1e-30]), C([-2e19, 0.0, -1e-30])])

    for delta, red in ((1.0, "mean"), (0.5, "sum"), (2.0, "none")):
        case(f"huber/delta{delta}_{red}", "huber", {"delta": delta, "reduction": red},
             lambda r: [X(U(r, (3, 4), -3, 3)), C(U(r, (3, 4)))])
    case("huber/at_delta", "huber", {"delta": 1.0, "reduction": "none"},
         [X([1.25, -0.75, 0.25, 0.25, 2.0, 0.0]), C([0.25, 0.25, 1.25, -0.75, 2.0, 0.5])])
    case("huber/at_delta0.5", "huber", {"delta": 0.5, "reduction": "none"},
         [X([0.75, -0.25, 0.25]), C([0.25, 0.25, 0.75])])
    case("huber/target_grad", "huber", {"delta": 1.0, "reduction": "mean"}, lambda r: [X(U(r, (2, 3), -3, 3)), X(U(r, (2, 3)))])

    for red in ("mean", "sum", "none"):
        case(f"bce/{red}", "bce", {"reduction": red},
             lambda r: [X(U(r, (3, 4), 0.02, 0.98)), C(r.randint(0, 2, (3, 4)))])
    case("bce/soft_targets", "bce", {"reduction": "mean"}, lambda r: [X(U(r, (2, 3), 0.02, 0.98)), C(U(r, (2, 3), 0, 1))])
    case("bce/prob_zero", "bce", {"reduction": "none"}, [X([0.0, 0.0, 0.5]), C([0.0, 1.0, 1.0])], convention="bce-clamp")
    case("bce/prob_one", "bce", {"reduction": "none"}, [X([1.0, 1.0, 0.5]), C([1.0, 0.0, 0.0])], convention="bce-clamp")

    for red in ("mean", "sum", "none"):
        case(f"bce_logits/{red}", "bce_logits", {"reduction": red},
             lambda r: [X(N(r, (3, 4), 2.0)), C(r.randint(0, 2, (3, 4)))])
    case("bce_logits/logit_zero", "bce_logits", {"reduction": "none"}, [X([0.0, 0.0, 0.0, -0.0]), C([0.0, 1.0, 0.5, 1.0])])
    case("bce_logits/large_logits", "bce_logits", {"reduction": "sum"},
         [X([100.0, -100.0, 30.0, -30.0, 1e4, -1e4]), C([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])])
    case("bce_logits/soft_targets", "bce_logits", {"reduction": "mean"}, lambda r: [X(N(r, (2, 3), 2.0)), C(U(r, (2, 3), 0, 1))])

    for ls, red in ((0.0, "mean"), (0.1, "sum"), (0.0, "none"), (0.2, "mean"), (0.1, "none")):
        case(f"cross_entropy/ls{ls}_{red}", "cross_entropy", {"label_smoothing": ls, "reduction": red},
             lambda r: [X(N(r, (4, 5), 2.0)), I(r.randint(0, 5, (4,)))])
    case("cross_entropy/large_logits", "cross_entropy", {"label_smoothing": 0.0, "reduction": "none"},
         [X([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 1001.0]]), I([2, 1])])
    case("cross_entropy/single_sample", "cross_entropy", {"label_smoothing": 0.0, "reduction": "mean"},
         lambda r: [X(N(r, (1, 3))), I([0])])
    for red in ("mean", "sum", "none"):
        case(f"cross_entropy_probs/{red}", "cross_entropy_probs", {"reduction": red},
             lambda r: [X(N(r, (3, 4), 2.0)), C(probs(r, (3, 4)))])
    case("cross_entropy_probs/one_hot_targets", "cross_entropy_probs", {"reduction": "mean"},
         lambda r: [X(N(r, (2, 3), 2.0)), C([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])])

    case("kl_div/batchmean_3d", "kl_div", {"reduction": "batchmean"}, lambda r: [X(log_probs(r, (2, 3, 4))), C(probs(r, (2, 3, 4)))])
    case("kl_div/batchmean_2d", "kl_div", {"reduction": "batchmean"}, lambda r: [X(log_probs(r, (3, 4))), C(probs(r, (3, 4)))])
    for red in ("sum", "none", "mean"):
        case(f"kl_div/{red}", "kl_div", {"reduction": red}, lambda r: [X(log_probs(r, (3, 4))), C(probs(r, (3, 4)))])
    case("kl_div/zero_target", "kl_div", {"reduction": "sum"},
         lambda r: [X(log_probs(r, (2, 3))), C([[0.0, 0.25, 0.75], [1.0, 0.0, 0.0]])])

    for red in ("mean", "sum", "none"):
        case(f"hinge/{red}", "hinge", {"reduction": red},
             lambda r: [X(U(r, (3, 4))), C((2 * r.randint(0, 2, (3, 4)) - 1).astype(F32))])
    case("hinge/kink", "hinge", {"reduction": "none"}, [X([1.0, -1.0, 0.5, 2.0, 0.0]), C([1.0, -1.0, 1.0, -1.0, 1.0])])


def creation_cases():
    case("arange/int_steps", "arange", {"start": 0, "end": 5, "step": 1}, [])
    case("arange/quarter_steps", "arange", {"start": 1.0, "end": 2.5, "step": 0.25}, [])
    case("arange/negative_step", "arange", {"start": 5.0, "end": -1.0, "step": -1.5}, [])
    case("arange/tenth_steps", "arange", {"start": 0.0, "end": 1.0, "step": 0.1}, [])
    case("linspace/0_1_5", "linspace", {"start": 0.0, "end": 1.0, "count": 5}, [])
    case("linspace/-1_1_7", "linspace", {"start": -1.0, "end": 1.0, "count": 7}, [])
    case("linspace/descending", "linspace", {"start": 3.0, "end": -3.0, "count": 4}, [])
    case("linspace/count1", "linspace", {"start": 2.5, "end": 7.0, "count": 1}, [])
    case("eye/1", "eye", {"n": 1}, [])
    case("eye/3", "eye", {"n": 3}, [])
    case("zeros/2x3", "zeros", {"shape": [2, 3]}, [])
    case("zeros/scalar", "zeros", {"shape": []}, [])
    case("ones/3", "ones", {"shape": [3]}, [])
    case("ones/2x1x2", "ones", {"shape": [2, 1, 2]}, [])
    case("full/2x2", "full", {"shape": [2, 2], "value": 1.5}, [])
    case("full/3", "full", {"shape": [3], "value": -0.25}, [])


# ----------------------------------------------------------------------------------------------
# Evaluation and serialization
# ----------------------------------------------------------------------------------------------

def weights(n, dtype):
    i = torch.arange(n, dtype=torch.int64)
    return (((i % 5) - 2).to(dtype) * 0.5 + 0.25)


def evaluate(op, args, inputs, dtype):
    ts = []
    for inp in inputs:
        if inp.kind == "int64":
            ts.append(torch.from_numpy(inp.arr.copy()))
        else:
            t = torch.from_numpy(inp.arr.astype(np.float64 if dtype == torch.float64 else np.float32))
            ts.append(t.requires_grad_(True) if inp.grad else t)
    out = run_op(op, args, ts, dtype)
    grads = [None] * len(inputs)
    differentiable = out.is_floating_point() and op not in NO_GRAD_OPS
    if differentiable and out.requires_grad:
        w = weights(out.numel(), dtype).reshape(out.shape)
        (out * w).sum().backward()
    if differentiable:
        for k, (inp, t) in enumerate(zip(inputs, ts)):
            if inp.grad:
                g = t.grad if t.grad is not None else torch.zeros_like(t)
                grads[k] = g.detach().numpy().astype(np.float64).reshape(-1)
    return list(out.shape), out.detach().to(torch.float64).numpy().reshape(-1), grads


def nonfinite(v):
    if math.isnan(v):
        return "nan"
    return "inf" if v > 0 else "-inf"


def enc32(values):
    """float32 values as the shortest decimal that round-trips (checked through float64 too)."""
    res = []
    for v in np.asarray(values, dtype=np.float32).reshape(-1):
        if not np.isfinite(v):
            res.append(nonfinite(float(v)))
            continue
        s = np.format_float_positional(v, unique=True, trim="-") if v == 0 or 1e-4 <= abs(v) < 1e7 \
            else np.format_float_scientific(v, unique=True, trim="-")
        d = float(s)
        if np.float32(d) != v or (v == 0 and math.copysign(1.0, d) != math.copysign(1.0, float(v))):
            d = float(v)  # fall back to the exact value
        res.append(d)
    return res


def enc64(values):
    return [float(v) if np.isfinite(v) else nonfinite(float(v)) for v in np.asarray(values, dtype=np.float64).reshape(-1)]


def close32(ours, ref64):
    """Is PyTorch's float32 result within the test tolerance of its float64 result cast to float32?"""
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(ref64, dtype=np.float32).astype(np.float64)
    if a.shape != b.shape:
        return False
    for x, y in zip(a, b):
        if math.isnan(y) or math.isnan(x):
            if not (math.isnan(x) and math.isnan(y)):
                return False
        elif math.isinf(y) or math.isinf(x):
            if x != y:
                return False
        elif abs(x - y) > 1e-5 + 1e-4 * abs(y):
            return False
    return True


def build(cid, op, args, inputs, convention):
    shape32, out32, g32 = evaluate(op, args, inputs, torch.float32)
    shape64, out64, g64 = evaluate(op, args, inputs, torch.float64)
    assert shape32 == shape64, (cid, shape32, shape64)
    pairs = [(out32, out64)] + [(a, b) for a, b in zip(g32, g64) if a is not None]
    ok = all(close32(a, b) for a, b in pairs)
    entry = {
        "id": cid, "op": op, "args": {k: args[k] for k in sorted(args)},
        "inputs": [{"shape": list(inp.arr.shape), "dtype": inp.kind,
                    "values": [int(v) for v in inp.arr.reshape(-1)] if inp.kind == "int64" else enc32(inp.arr),
                    "grad": bool(inp.grad)} for inp in inputs],
        "output": {"shape": shape32, "float32": enc32(out32), "float64": enc64(out64)},
        "grads": [None if a is None else {"float32": enc32(a), "float64": enc64(b)} for a, b in zip(g32, g64)],
    }
    if convention is None and not ok:
        # float32 inf/nan where the float64 result fits in float32: an intermediate overflowed.
        overflow = any(not np.isfinite(x) and np.isfinite(np.float32(y))
                       for a, b in pairs for x, y in zip(a, b) if np.isfinite(y))
        convention = "torch-float32-overflow" if overflow else "torch-float32-inexact"
    if convention is not None:
        entry["convention"] = convention
    return entry, ok


def main():
    for gen in (unary_cases, binary_cases, reduction_cases, shape_cases, indexing_cases, matrix_cases,
                norm_cases, conv_cases, loss_cases, creation_cases):
        gen()
    ids = [c[0] for c in CASES]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    assert not dup, dup
    entries, inexact = [], []
    for cid, op, args, inputs, conv in sorted(CASES, key=lambda c: c[0]):
        assert cid.split("/")[0] == op, cid
        entry, ok = build(cid, op, args, inputs, conv)
        entries.append(entry)
        if not ok:
            inexact.append(cid)

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "opinfo.json")
    dumps = lambda o: json.dumps(o, indent=None, separators=(",", ":"), allow_nan=False)
    with open(path, "w") as f:
        f.write('{"torch":%s,"weights":%s,"cases":[\n' % (dumps(torch.__version__), dumps(WEIGHTS_DOC)))
        f.write(",\n".join(dumps(e) for e in entries))
        f.write("\n]}\n")

    with open(path) as f:
        data = json.load(f)
    counts = {}
    for c in data["cases"]:
        counts[c["op"]] = counts.get(c["op"], 0) + 1
    print("cases per op:")
    for op in sorted(counts):
        print(f"  {op:20s} {counts[op]}")
    print("total cases:", len(data["cases"]), " unique ids:", len({c["id"] for c in data["cases"]}))
    print("PyTorch float32 far from float64 (marked torch-float32-overflow/-inexact):", *inexact, sep="\n  ")
    print("wrote", path, f"({os.path.getsize(path)} bytes) with torch", torch.__version__)


if __name__ == "__main__":
    main()
