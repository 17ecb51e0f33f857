import Foundation
import Layers
import TensorCore

/// ONNX export (opset 17): a network as a `ModelProto` that onnxruntime, or any ONNX runtime,
/// runs with a dynamic batch dimension. Written from the ONNX specification (`onnx.proto`) with
/// the same `ProtobufWriter` as TensorBoard's event files.
///
/// Exported: `Sequential`, `Linear`, `Dense` (with its activation), `Conv1D`, `Conv2D`,
/// `ConvTranspose2D`, max and average pooling (1-D, 2-D, global, adaptive), `Upsample`,
/// `BatchNorm` (inference form), `LayerNorm`, `GroupNorm`, `Normalization`, `ResidualBlock`,
/// `Parallel`, `Flatten`, `Reshape`, the activations, `Dropout` (dropped), `Embedding`, the
/// positional encodings, `SimpleRNN`, `LSTM` and `GRU` (ONNX's RNN, LSTM and GRU operators, the
/// gates reordered from PyTorch's order), `Bidirectional`, `MultiHeadAttention` and
/// `TransformerEncoderBlock`, and any layer that conforms to `ONNXExportable` (the language
/// models). Any other layer is an error naming it.
public enum ONNX {
    public static let opset = 17
    /// The IR version that goes with opset 17.
    public static let irVersion = 8

    public struct ExportError: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Writes `model`, which takes examples of shape `inputShape` (without the batch), to `path`.
    /// Inputs are float32, or integer ids (int64 in the file) with `inputType: .int64`.
    public static func export(_ model: any Layer, inputShape: [Int], inputType: DType = .float32, to path: String) throws {
        try writeAtomically(Data(try encode(model, inputShape: inputShape, inputType: inputType)), to: path)
    }

    /// The bytes of the ONNX file of `model`.
    public static func encode(_ model: any Layer, inputShape: [Int], inputType: DType = .float32) throws -> [UInt8] {
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ExportError(description: "input shape \(inputShape) must be one or more positive sizes")
        }
        // Checked before anything runs where every layer can check itself; the others run once
        // on one example while the graph is written.
        if model.allLayers.allSatisfy({ $0 is any ShapeInferring }) {
            do { _ = try model.checkedOutputShape(for: [1] + inputShape) } catch {
                throw ExportError(description: "the network does not take inputs of shape \(inputShape): \(error)")
            }
        }
        let graph = ONNXGraphBuilder()
        // Integer ids come in as int64, as PyTorch exports them, and are used as int64.
        let output = try graph.emit(model, graph.value("input", inputShape, dtype: inputType == .float32 ? .float32 : .int64))
        var m = ProtobufWriter()
        m.varint(1, Int64(irVersion))
        m.string(2, "swift-deep-learning")
        m.string(3, "1")
        m.message(7) { g in
            for node in graph.nodes { g.bytes(1, node) }
            g.string(2, "main")
            for t in graph.initializers { g.bytes(5, t) }
            g.message(11) { valueInfo(&$0, "input", inputShape, inputType == .float32 ? .float32 : .int64) }
            // The last node writes the graph's output under its own name; an Identity renames it.
            g.message(1) { n in
                n.string(1, output.name)
                n.string(2, "output")
                n.string(3, "output")
                n.string(4, "Identity")
            }
            g.message(12) { valueInfo(&$0, "output", output.shape, output.dtype) }
        }
        m.message(8) { o in
            o.string(1, "")
            o.varint(2, Int64(opset))
        }
        return m.bytes
    }

    /// A tensor value of shape `[batch, shape...]`, the batch a named (dynamic) dimension.
    private static func valueInfo(_ v: inout ProtobufWriter, _ name: String, _ shape: [Int], _ dtype: DType) {
        v.string(1, name)
        v.message(2) { type in
            type.message(1) { tensor in
                tensor.varint(1, ONNXGraphBuilder.elementType(dtype))
                tensor.message(2) { s in
                    s.message(1) { $0.string(2, "batch") }
                    for d in shape { s.message(1) { $0.varint(1, Int64(d)) } }
                }
            }
        }
    }
}
