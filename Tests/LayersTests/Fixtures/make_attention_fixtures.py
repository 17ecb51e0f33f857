#!/usr/bin/env python3
"""Writes attention.json: PyTorch's scaled_dot_product_attention (with a padding mask and
causal), MultiheadAttention (batch first, key padding mask plus a causal mask) and
TransformerEncoderLayer / TransformerDecoderLayer (GELU, no dropout, pre- and post-norm) on small
inputs, in double precision, with the gradient of sum(output * R) for the input. Run with PyTorch
installed:

    python3 Tests/LayersTests/Fixtures/make_attention_fixtures.py
"""
import json
import os

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def flat(t):
    return {"shape": list(t.shape), "values": [float(v) for v in t.detach().reshape(-1).tolist()]}


out = {}

# Scaled dot-product attention: batch 2, 3 queries, 4 keys; the second batch sees only 2 keys.
q, k, v = torch.randn(2, 3, 5), torch.randn(2, 4, 5), torch.randn(2, 4, 6)
allowed = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=torch.bool)[:, None, :]
out["sdpa_masked"] = {"q": flat(q), "k": flat(k), "v": flat(v), "mask": flat(allowed.double()),
                      "output": flat(F.scaled_dot_product_attention(q, k, v, attn_mask=allowed))}
kc, vc = torch.randn(2, 3, 5), torch.randn(2, 3, 6)
out["sdpa_causal"] = {"q": flat(q), "k": flat(kc), "v": flat(vc),
                      "output": flat(F.scaled_dot_product_attention(q, kc, vc, is_causal=True))}

# Multi-head attention: dim 8, 2 heads, lengths [4, 2], causal.
mha = nn.MultiheadAttention(8, 2, batch_first=True)
x = torch.randn(2, 4, 8, requires_grad=True)
lengths = [4, 2]
padding = torch.tensor([[i >= n for i in range(4)] for n in lengths])
causal = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
y, _ = mha(x, x, x, key_padding_mask=padding, attn_mask=causal, need_weights=False)
r = torch.randn(y.shape)
(y * r).sum().backward()
wq, wk, wv = mha.in_proj_weight.chunk(3)
bq, bk, bv = mha.in_proj_bias.chunk(3)
out["mha"] = {"x": flat(x), "lengths": lengths, "output": flat(y), "r": flat(r), "grad_x": flat(x.grad),
              "weights": {"query.weight": flat(wq), "query.bias": flat(bq), "key.weight": flat(wk), "key.bias": flat(bk),
                          "value.weight": flat(wv), "value.bias": flat(bv),
                          "output.weight": flat(mha.out_proj.weight), "output.bias": flat(mha.out_proj.bias)}}


def block_weights(layer, prefix, mha_names):
    weights = {}
    for ours, attention in mha_names:
        wq, wk, wv = attention.in_proj_weight.chunk(3)
        bq, bk, bv = attention.in_proj_bias.chunk(3)
        for name, t in [("query.weight", wq), ("query.bias", bq), ("key.weight", wk), ("key.bias", bk),
                        ("value.weight", wv), ("value.bias", bv), ("output.weight", attention.out_proj.weight),
                        ("output.bias", attention.out_proj.bias)]:
            weights[f"{ours}.{name}"] = flat(t)
    weights["feedForward.0.weight"] = flat(layer.linear1.weight)
    weights["feedForward.0.bias"] = flat(layer.linear1.bias)
    weights["feedForward.2.weight"] = flat(layer.linear2.weight)
    weights["feedForward.2.bias"] = flat(layer.linear2.bias)
    for i in (1, 2, 3):
        norm = getattr(layer, f"norm{i}", None)
        if norm is not None:
            weights[f"norm{i}.weight"] = flat(norm.weight)
            weights[f"norm{i}.bias"] = flat(norm.bias)
    return weights


for norm_first in (True, False):
    tag = "pre" if norm_first else "post"
    enc = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation="gelu", batch_first=True,
                                     norm_first=norm_first)
    for p in enc.parameters():  # move the norms off 1 and 0 so they are really checked
        p.data += 0.1 * torch.randn(p.shape)
    x = torch.randn(2, 5, 8, requires_grad=True)
    y = enc(x, src_key_padding_mask=torch.tensor([[False] * 5, [False] * 3 + [True] * 2]))
    r = torch.randn(y.shape)
    (y * r).sum().backward()
    out[f"encoder_{tag}"] = {"x": flat(x), "lengths": [5, 3], "output": flat(y), "r": flat(r), "grad_x": flat(x.grad),
                             "weights": block_weights(enc, "", [("attention", enc.self_attn)])}

    dec = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation="gelu", batch_first=True,
                                     norm_first=norm_first)
    for p in dec.parameters():
        p.data += 0.1 * torch.randn(p.shape)
    t = torch.randn(2, 4, 8, requires_grad=True)
    memory = torch.randn(2, 5, 8, requires_grad=True)
    y = dec(t, memory, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4), tgt_is_causal=True,
            memory_key_padding_mask=torch.tensor([[False] * 5, [False] * 3 + [True] * 2]))
    r = torch.randn(y.shape)
    (y * r).sum().backward()
    out[f"decoder_{tag}"] = {"x": flat(t), "memory": flat(memory), "lengths": [5, 3], "output": flat(y), "r": flat(r),
                             "grad_x": flat(t.grad), "grad_memory": flat(memory.grad),
                             "weights": block_weights(dec, "", [("selfAttention", dec.self_attn),
                                                                ("crossAttention", dec.multihead_attn)])}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "attention.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", path)
