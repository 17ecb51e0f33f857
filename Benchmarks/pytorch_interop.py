#!/usr/bin/env python3
"""Trains three PyTorch networks on the full Fashion-MNIST and exports them for the Swift side's
PyTorch-interoperability check (ONNX import and safetensors state_dict loading).

The networks mirror the zoo models of the same name (`ModelZoo.make`) index for index, so that a
state_dict name "<index>.<param>" is the zoo model's name:

  mlp     Sequential(Linear(784,256), ReLU, Linear(256,128), ReLU, Linear(128,10))
  cnn-bn  Sequential(Reshape(1,28,28), Conv2d(1,32,3,padding=1,bias=False), BatchNorm2d(32),
          ReLU, MaxPool2d(2), Conv2d(32,64,3,padding=1,bias=False), BatchNorm2d(64), ReLU,
          MaxPool2d(2), Flatten, Linear(3136,128), BatchNorm1d(128), ReLU, Linear(128,10))
  lstm    0: Reshape(28,28) (rows as 28 time steps), 1: LSTM(28,128,batch_first=True) whose last
          step's hidden state feeds 2: Linear(128,10)

Reshape(*shape) is x.reshape(-1, *shape), like the zoo's Reshape layer; it exports as one ONNX
Reshape, where nn.Unflatten exports as a chain of shape arithmetic (Shape, Slice, Mod, Concat) and,
before an LSTM, fixes the initial state's batch to the traced one.

Each takes flattened images [N, 784] (pixels / 255, float32) and returns logits [N, 10]. Training:
Adam at 1e-3, batch 128, seed 0, shuffled full training set, a few epochs (see --help).

Written into --output DIR, per network NAME:
  NAME.onnx                  torch.onnx.export of the eval-mode model (the TorchScript exporter,
                             dynamo=False), opset 17, input "input", output "logits", dynamic
                             batch axis; checked with onnx.checker. training=PRESERVE keeps each
                             BatchNorm a BatchNormalization node with the state_dict's names
                             (EVAL would fold the convolutions' batch norms into their weights)
  NAME.safetensors           safetensors.torch.save_file(model.state_dict()), BatchNorm's int64
                             num_batches_tracked included
  NAME_reference.safetensors "images" (the first 1000 test images, [1000, 784] float32) and
                             "logits" (PyTorch's eval-mode logits on them, [1000, 10] float32)
and summary.json: per network the test accuracy on all 10,000 test images (eval mode), epochs,
training seconds, the exporter, the ONNX op types, the state_dict names and dtypes, onnxruntime's
largest logit difference from PyTorch on the reference images (when onnxruntime is installed), and
the file names. The same JSON is the last line printed.

Our side imports NAME.onnx and must give summary.json's test_accuracy exactly and the reference
logits to 1e-4; it loads NAME.safetensors into `ModelZoo.make(NAME)` with the same result.

Needs torch, onnx and safetensors (onnxruntime optional); uses one thread by default.
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import torch
from common import fashion_mnist
from torch import nn

NETWORKS = ["mlp", "cnn-bn", "lstm"]
DEFAULT_EPOCHS = {"mlp": 3, "cnn-bn": 2, "lstm": 3}
REFERENCE_COUNT = 1000


class Reshape(nn.Module):
    """[N, ...] -> [N, *shape], as the zoo's Reshape layer."""

    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.reshape(-1, *self.shape)


class LSTMClassifier(nn.Module):
    """Zoo "lstm": 0 reshapes [N, 784] to [N, 28, 28], 1 is the LSTM, 2 the dense layer on the last
    step's hidden state."""

    def __init__(self):
        super().__init__()
        self.add_module("0", Reshape(28, 28))
        self.add_module("1", nn.LSTM(28, 128, batch_first=True))
        self.add_module("2", nn.Linear(128, 10))

    def forward(self, x):
        steps, _ = self._modules["1"](self._modules["0"](x))
        return self._modules["2"](steps[:, -1, :])


def make(name):
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    if name == "cnn-bn":
        return nn.Sequential(
            Reshape(1, 28, 28),
            nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, 10))
    return LSTMClassifier()


def log(message):
    print(message, file=sys.stderr, flush=True)


def train(model, x, y, epochs, batch_size, name):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    shuffle = torch.Generator().manual_seed(0)
    model.train()
    start, total = time.perf_counter(), None
    for epoch in range(epochs):
        t = time.perf_counter()
        order = torch.randperm(len(x), generator=shuffle)
        total = 0.0
        for i in range(0, len(x), batch_size):
            batch = order[i:i + batch_size]
            loss = loss_fn(model(x[batch]), y[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
        log(f"{name}: epoch {epoch + 1}/{epochs} loss {total / len(x):.4f} ({time.perf_counter() - t:.1f} s)")
    return time.perf_counter() - start, None if total is None else total / len(x)


@torch.no_grad()
def logits_of(model, x, batch_size=1000):
    model.eval()
    return torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


def export_onnx(model, path):
    """torch.onnx.export with the classic TorchScript exporter when this torch has it, else the
    dynamo one; returns which was used."""
    example = torch.zeros(2, 784)
    common = dict(input_names=["input"], output_names=["logits"], opset_version=17)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model.eval(), (example,), path, dynamo=False, training=torch.onnx.TrainingMode.PRESERVE,
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, **common)
        return "torchscript (dynamo=False, training=PRESERVE)"
    except Exception as error:  # the classic exporter is gone or failed: fall back to dynamo
        log(f"classic exporter failed ({type(error).__name__}: {error}); trying dynamo=True")
        batch = torch.export.Dim("batch")
        torch.onnx.export(model.eval(), (example,), path, dynamo=True, external_data=False,
                          dynamic_shapes={"x": {0: batch}} if not isinstance(model, nn.Sequential)
                          else {"input": {0: batch}}, **common)
        return "dynamo (dynamo=True)"


def onnx_facts(path):
    import onnx
    graph = onnx.load(path)
    onnx.checker.check_model(graph, full_check=True)
    return {"op_types": sorted({node.op_type for node in graph.graph.node}),
            "opset": max(o.version for o in graph.opset_import if o.domain in ("", "ai.onnx")),
            "initializers": {i.name: list(i.dims) for i in graph.graph.initializer}}


def onnxruntime_check(path, images, logits, test_x, test_y):
    """Largest |onnxruntime - torch| on the reference logits (run as one batch of 1000 and as 1000
    batches of one, which checks the dynamic batch axis) and onnxruntime's test accuracy, or None
    without onnxruntime."""
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
    diff = float(max(np.abs(run(images) - logits).max(), np.abs(single - logits).max()))
    predicted = np.concatenate([run(test_x[i:i + 1000]).argmax(1) for i in range(0, len(test_x), 1000)])
    return {"max_abs_logit_difference": diff, "test_accuracy": float((predicted == test_y).mean())}


def main():
    p = argparse.ArgumentParser(
        description="Train PyTorch mlp, cnn-bn and lstm on Fashion-MNIST (mirroring the zoo models) and export "
                    "each as NAME.onnx, NAME.safetensors (state_dict) and NAME_reference.safetensors (1000 test "
                    "images and their logits), plus summary.json with the test accuracies.")
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                   help="directory of the Fashion-MNIST IDX .gz files (default: %(default)s)")
    p.add_argument("--output", default="/tmp/pytorch-interop", help="output directory (default: %(default)s)")
    p.add_argument("--networks", nargs="+", choices=NETWORKS, default=NETWORKS, help="networks to train (default: all)")
    for name in NETWORKS:
        p.add_argument(f"--{name}-epochs", type=int, default=DEFAULT_EPOCHS[name],
                       help=f"training epochs of {name} (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=128, help="training batch size (default: %(default)s)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default: %(default)s)")
    a = p.parse_args()

    train_x, train_y = (torch.from_numpy(t) for t in fashion_mnist(a.data, "train"))
    test_x, test_y = fashion_mnist(a.data, "t10k")
    torch.set_num_threads(a.threads)
    from safetensors import safe_open
    from safetensors.torch import save_file
    os.makedirs(a.output, exist_ok=True)
    summary = {"torch": torch.__version__, "threads": torch.get_num_threads(), "data": a.data,
               "optimizer": "adam", "learning_rate": 1e-3, "batch_size": a.batch_size, "seed": 0, "networks": {}}
    wall = time.perf_counter()
    for name in a.networks:
        epochs = getattr(a, f"{name.replace('-', '_')}_epochs")
        torch.manual_seed(0)
        model = make(name)
        seconds, loss = train(model, train_x, train_y, epochs, a.batch_size, name)
        logits = logits_of(model, torch.from_numpy(test_x))
        accuracy = float((logits.argmax(1).numpy() == test_y).mean())
        top2 = logits.topk(2, dim=1).values
        # How far each prediction is from a tie: an importer whose logits are off by about half the
        # margin can flip it, and with it the exact accuracy.
        margins = top2[:, 0] - top2[:, 1]
        close = int((margins < 1e-4).sum())
        log(f"{name}: test accuracy {accuracy:.4f} after {epochs} epochs ({seconds:.1f} s)")

        files = {"onnx": f"{name}.onnx", "state_dict": f"{name}.safetensors",
                 "reference": f"{name}_reference.safetensors"}
        path = lambda kind: os.path.join(a.output, files[kind])
        exporter = export_onnx(model, path("onnx"))
        facts = onnx_facts(path("onnx"))
        save_file(model.state_dict(), path("state_dict"))
        with safe_open(path("state_dict"), "pt") as f:
            state = {key: {"dtype": str(f.get_tensor(key).dtype).removeprefix("torch."),
                           "shape": list(f.get_tensor(key).shape)} for key in f.keys()}
        images = torch.from_numpy(test_x[:REFERENCE_COUNT]).contiguous()
        reference = logits[:REFERENCE_COUNT].contiguous()
        save_file({"images": images, "logits": reference}, path("reference"))
        check = onnxruntime_check(path("onnx"), images.numpy(), reference.numpy(), test_x, test_y)
        if check is not None:
            log(f"{name}: onnxruntime vs torch max |logit difference| {check['max_abs_logit_difference']:.3g}, "
                f"onnxruntime test accuracy {check['test_accuracy']:.4f}")
        summary["networks"][name] = {
            "test_accuracy": accuracy, "test_images": len(test_y), "test_predictions_within_1e-4_of_a_tie": close,
            "test_smallest_top2_margin": {"image": int(margins.argmin()), "margin": float(margins.min())},
            "epochs": epochs, "train_seconds": round(seconds, 2), "final_train_loss": loss, "exporter": exporter,
            "opset": facts["opset"], "op_types": facts["op_types"], "onnx_initializers": facts["initializers"],
            "state_dict": state, "onnxruntime": check, "files": files}
    summary["total_seconds"] = round(time.perf_counter() - wall, 2)
    with open(os.path.join(a.output, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
