"""Checks an ONNX file written by `deeplearn export` with the onnx package's checker and runs it
with onnxruntime on the inputs of its `--reference` file: the outputs must equal ours to 1e-4.

    python Tests/interop/check_onnx.py MODEL.onnx REFERENCE.safetensors [--tolerance 1e-4]
"""
import json
import sys

import numpy as np
import onnx
import onnxruntime
from safetensors.numpy import load_file


def main():
    path, reference = sys.argv[1], sys.argv[2]
    tolerance = float(sys.argv[sys.argv.index("--tolerance") + 1]) if "--tolerance" in sys.argv else 1e-4
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    data = load_file(reference)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": data["images"]})
    # The batch dimension is dynamic: one example at a time must give the same.
    (one,) = session.run(None, {"input": data["images"][:1]})
    difference = float(np.abs(got - data["outputs"]).max())
    result = {"onnx": path, "opset": model.opset_import[0].version, "nodes": len(model.graph.node), "examples": int(got.shape[0]),
              "max_abs_difference": difference, "batch_of_one": float(np.abs(one - data["outputs"][:1]).max()),
              "same_argmax": float((got.argmax(-1) == data["outputs"].argmax(-1)).mean())}
    print(json.dumps(result))
    sys.exit(0 if difference <= tolerance and result["batch_of_one"] <= tolerance else 1)


if __name__ == "__main__":
    main()
