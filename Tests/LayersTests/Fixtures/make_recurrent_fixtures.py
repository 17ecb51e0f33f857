#!/usr/bin/env python3
"""Writes recurrent.json: PyTorch's LSTM (two layers, initial states), GRU over padded sequences
of different lengths (packed), a tanh RNN and a bidirectional LSTM with lengths, in double
precision: weights, inputs, outputs, final states and the gradients of sum(output * R) for a
fixed R. Run with PyTorch installed:

    python3 Tests/LayersTests/Fixtures/make_recurrent_fixtures.py
"""
import json
import os

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.manual_seed(0)


def flat(t):
    return {"shape": list(t.shape), "values": [float(v) for v in t.detach().reshape(-1).tolist()]}


def case(module, x, lengths=None, h0=None, c0=None):
    module = module.double()
    x = x.double().requires_grad_(True)
    state = None
    if h0 is not None:
        state = (h0, c0) if c0 is not None else h0
    inp = x if lengths is None else pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, final = module(inp, state)
    if lengths is not None:
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    r = torch.randn(out.shape, dtype=torch.float64)
    (out * r).sum().backward()
    result = {
        "weights": {name: flat(p) for name, p in module.named_parameters()},
        "input": flat(x), "output": flat(out), "r": flat(r), "grad_input": flat(x.grad),
        "grads": {name: flat(p.grad) for name, p in module.named_parameters()},
    }
    h_n, c_n = final if isinstance(final, tuple) else (final, None)
    result["h_n"] = flat(h_n)
    if c_n is not None:
        result["c_n"] = flat(c_n)
    if lengths is not None:
        result["lengths"] = list(lengths)
    if h0 is not None:
        result["h0"] = flat(h0)
    if c0 is not None:
        result["c0"] = flat(c0)
    return result


fixtures = {
    "lstm": case(nn.LSTM(3, 4, num_layers=2, batch_first=True), torch.randn(2, 5, 3),
                 h0=torch.randn(2, 2, 4, dtype=torch.float64), c0=torch.randn(2, 2, 4, dtype=torch.float64)),
    "gru_packed": case(nn.GRU(3, 4, batch_first=True), torch.randn(3, 6, 3), lengths=[6, 2, 4]),
    "rnn": case(nn.RNN(2, 3, batch_first=True), torch.randn(2, 4, 2)),
    "bilstm_packed": case(nn.LSTM(3, 2, batch_first=True, bidirectional=True), torch.randn(2, 5, 3), lengths=[3, 5]),
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recurrent.json")
with open(path, "w") as f:
    json.dump(fixtures, f)
print("wrote", path)
