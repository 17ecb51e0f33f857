#!/usr/bin/env python3
"""Writes optimizer_steps.json: three steps of each torch.optim optimizer on a fixed problem.

The problem: w starts at W0 and the loss at each step is sum(C * w**2) + sum(D * w), so the gradient
2*C*w + D changes with w and every optimizer's state matters. Run with PyTorch installed:

    python3 Tests/OptimizersTests/Fixtures/make_optimizer_fixtures.py
"""
import json
import os

import torch

W0 = [0.5, -1.0, 2.0, -0.25]
C = [1.0, 0.5, 2.0, 3.0]
D = [0.1, -0.2, 0.3, 0.0]

CONFIGS = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
    "sgd_momentum": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda p: torch.optim.Adam(p, lr=0.1),
    "adam_amsgrad_l2": lambda p: torch.optim.Adam(p, lr=0.1, weight_decay=0.1, amsgrad=True),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=0.1),
    "adagrad": lambda p: torch.optim.Adagrad(p, lr=0.1),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.01),
    "rmsprop_momentum_centered": lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.9, centered=True),
}

out = {"w0": W0, "c": C, "d": D, "steps": {}}
for name, make in CONFIGS.items():
    w = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
    opt = make([w])
    trail = []
    for _ in range(3):
        opt.zero_grad()
        loss = (torch.tensor(C, dtype=torch.float64) * w ** 2).sum() + (torch.tensor(D, dtype=torch.float64) * w).sum()
        loss.backward()
        opt.step()
        trail.append(w.detach().tolist())
    out["steps"][name] = trail

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optimizer_steps.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", path, "with torch", torch.__version__)
