#!/usr/bin/env python3
"""Tiny PyTorch networks exported the way Benchmarks/pytorch_interop.py exports its trained ones,
for `TorchImportTests` (ONNX import) and `TorchStateDictionaryTests` (state_dict loading): CI
cannot install torch, so these few-KB files stand in for the full-size ones.

The networks have the full ones' module kinds and index layout (state_dict names
"<index>.<param>"), shrunk, untrained but seeded:

  torch_mlp   Sequential(Linear(12,8), ReLU, Linear(8,4))                        input [N, 12]
  torch_cnn   Sequential(Reshape(1,6,6), Conv2d(1,2,3,padding=1,bias=False), BatchNorm2d(2), ReLU,
              MaxPool2d(2), Flatten, Linear(18,6), BatchNorm1d(6), ReLU, Linear(6,3))  input [N, 36]
  torch_lstm  0: Reshape(4,3) (4 steps of 3 features), 1: LSTM(3,5,batch_first=True) whose last
              step's hidden state feeds 2: Linear(5,2)                          input [N, 12]
  torch_bigru 0: Reshape(4,3), 1: GRU(3,4,num_layers=2,bidirectional=True,batch_first=True)
              whose every step's outputs feed 2: Linear(32,2) (import only)   input [N, 12]

The batch norms get random affine parameters and running statistics from a few train-mode
forward passes on shifted, scaled random data, so eval mode differs clearly from train mode.

Written next to this script, per network NAME:
  NAME.onnx                  torch.onnx.export of the eval-mode model: dynamo=False,
                             training=PRESERVE (each BatchNorm stays a BatchNormalization node),
                             opset 17, input "input", output "logits", dynamic batch; checked
                             with onnx.checker and, when installed, against onnxruntime
  NAME.safetensors           safetensors.torch.save_file(model.state_dict()), BatchNorm's int64
                             num_batches_tracked included
  NAME_reference.safetensors "images" ([16, features] float32 in [0, 1), like pixels / 255)
                             and "logits" (PyTorch's eval-mode outputs on them, float32)

    /path/to/python Tests/InteropTests/Fixtures/make_torch_onnx_fixtures.py
    (torch 2.x, onnx, safetensors; onnxruntime optional)
"""
import os
import warnings

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE_COUNT = 16


class Reshape(nn.Module):
    """[N, ...] -> [N, *shape], as the zoo's Reshape layer (one ONNX Reshape when exported)."""

    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.reshape(-1, *self.shape)


class LSTMClassifier(nn.Module):
    """0 reshapes [N, 12] to [N, 4, 3], 1 is the LSTM, 2 the dense layer on the last step's
    hidden state."""

    def __init__(self):
        super().__init__()
        self.add_module("0", Reshape(4, 3))
        self.add_module("1", nn.LSTM(3, 5, batch_first=True))
        self.add_module("2", nn.Linear(5, 2))

    def forward(self, x):
        steps, _ = self._modules["1"](self._modules["0"](x))
        return self._modules["2"](steps[:, -1, :])


class BidirectionalGRUClassifier(nn.Module):
    """0 reshapes [N, 12] to [N, 4, 3], 1 is a two-layer bidirectional GRU, 2 the dense layer on
    every step's outputs of both directions (ONNX GRU nodes with direction "bidirectional")."""

    def __init__(self):
        super().__init__()
        self.add_module("0", Reshape(4, 3))
        self.add_module("1", nn.GRU(3, 4, num_layers=2, batch_first=True, bidirectional=True))
        self.add_module("2", nn.Linear(4 * 2 * 4, 2))

    def forward(self, x):
        steps, _ = self._modules["1"](self._modules["0"](x))
        return self._modules["2"](steps.reshape(-1, 4 * 2 * 4))


def make(name):
    if name == "torch_mlp":
        return nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 4)), 12
    if name == "torch_cnn":
        return nn.Sequential(
            Reshape(1, 6, 6),
            nn.Conv2d(1, 2, 3, padding=1, bias=False), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(2 * 3 * 3, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3)), 36
    if name == "torch_bigru":
        return BidirectionalGRUClassifier(), 12
    return LSTMClassifier(), 12


def randomize_batch_norms(model, features):
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    with torch.no_grad():
        for m in norms:
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.5, 0.5)
        model.train()
        for _ in range(5):
            model(torch.randn(32, features) * 2 + 0.7)


def export_onnx(model, features, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.zeros(2, features),), path, dynamo=False,
                          training=torch.onnx.TrainingMode.PRESERVE, input_names=["input"],
                          output_names=["logits"], opset_version=17,
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


def onnxruntime_difference(path, images, logits):
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    run = lambda x: session.run(["logits"], {"input": x})[0]
    single = np.concatenate([run(images[i:i + 1]) for i in range(len(images))])
    return float(max(np.abs(run(images) - logits).max(), np.abs(single - logits).max()))


def main():
    import onnx
    torch.set_num_threads(1)
    for name in ["torch_mlp", "torch_cnn", "torch_lstm", "torch_bigru"]:
        torch.manual_seed(0)
        model, features = make(name)
        randomize_batch_norms(model, features)
        model.eval()
        images = torch.rand(REFERENCE_COUNT, features)
        with torch.no_grad():
            logits = model(images).contiguous()
        onnx_path = os.path.join(HERE, f"{name}.onnx")
        export_onnx(model, features, onnx_path)
        graph = onnx.load(onnx_path)
        onnx.checker.check_model(graph, full_check=True)
        save_file(model.state_dict(), os.path.join(HERE, f"{name}.safetensors"))
        save_file({"images": images.contiguous(), "logits": logits}, os.path.join(HERE, f"{name}_reference.safetensors"))
        ops = [node.op_type for node in graph.graph.node]
        difference = onnxruntime_difference(onnx_path, images.numpy(), logits.numpy())
        print(f"{name}: ops {ops}\n  state_dict {list(model.state_dict().keys())}\n"
              f"  onnxruntime max |difference| {difference}")


if __name__ == "__main__":
    main()
