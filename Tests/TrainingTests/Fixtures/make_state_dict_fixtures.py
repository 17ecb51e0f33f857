"""PyTorch state_dicts saved with safetensors in float32, float16 and bfloat16, for
`StateDictionaryTests`: a Sequential(Linear(4, 8), ReLU(), Linear(8, 3)) with a BatchNorm1d
between, its outputs on fixed inputs in eval mode (computed from the saved, rounded weights).

    python Tests/TrainingTests/Fixtures/make_state_dict_fixtures.py   (torch 2.x, safetensors)
"""
import json
import os

import torch
from safetensors.torch import save_file

torch.manual_seed(0)
here = os.path.dirname(os.path.abspath(__file__))
net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
with torch.no_grad():
    net[1].running_mean.uniform_(-1, 1)
    net[1].running_var.uniform_(0.5, 2)
    net[1].weight.uniform_(0.5, 1.5)
    net[1].bias.uniform_(-0.5, 0.5)
net.eval()
x = torch.randn(5, 4)
expected = {"input": x.flatten().tolist()}
for name, dtype in [("f32", torch.float32), ("f16", torch.float16), ("bf16", torch.bfloat16)]:
    state = {k: (v.to(dtype) if v.is_floating_point() else v).contiguous() for k, v in net.state_dict().items()}
    save_file(state, os.path.join(here, f"state_dict_{name}.safetensors"))
    rounded = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    rounded.load_state_dict({k: v.to(torch.float32) if v.is_floating_point() else v for k, v in state.items()})
    rounded.eval()
    with torch.no_grad():
        expected[name] = rounded(x).flatten().tolist()
with open(os.path.join(here, "state_dict_outputs.json"), "w") as f:
    json.dump(expected, f)
print(sorted(net.state_dict().keys()))
