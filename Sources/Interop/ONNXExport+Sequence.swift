import Layers
import TensorCore

/// The sequence layers as ONNX nodes: embeddings, positional encodings, the recurrent layers
/// (ONNX's own RNN, LSTM and GRU operators) and attention.
extension ONNXGraphBuilder {
    /// The nodes of `layer` if it is a sequence layer, else nil.
    func emitSequenceLayer(_ layer: any Layer, _ x: Value) throws -> Value? {
        switch layer {
        case let e as Embedding:
            guard x.dtype != .float32 else { throw Err(description: "\(e): the graph's input must be integer ids (inputType: .int64)") }
            return value(node("Gather", [parameter(e.weight, "embedding"), x.name], [("axis", .int(0))]), x.shape + [e.dimension])
        case is LearnedPositionalEncoding, is SinusoidalPositionalEncoding:
            // The encoding added to zeros is the table for this many positions.
            let table = withoutGradients { layer(Tensor.zeros(Shape([1] + x.shape))) }.squeezed(at: 0)
            return value(node("Add", [x.name, constant("positions", table)]), x.shape)
        case let b as Bidirectional:
            let steps = x.shape[0]
            let timeMajor = transpose(x.name, [1, 0, 2])
            let ahead = try recurrentChain(b.forward, timeMajor, reverse: false)
            let behind = try recurrentChain(b.backward, timeMajor, reverse: true)
            let hidden = b.forward.hiddenSize + b.backward.hiddenSize
            if b.forward.returnSequences {
                return value(transpose(node("Concat", [ahead.sequence, behind.sequence], [("axis", .int(2))]), [1, 0, 2]), [steps, hidden])
            }
            return value(node("Concat", [ahead.last, behind.last], [("axis", .int(1))]), [hidden])
        case let r as Recurrent:
            let steps = x.shape[0]
            let chain = try recurrentChain(r, transpose(x.name, [1, 0, 2]), reverse: false)
            if r.returnSequences { return value(transpose(chain.sequence, [1, 0, 2]), [steps, r.hiddenSize]) }
            return value(chain.last, [r.hiddenSize])
        case let a as MultiHeadAttention:
            return attention(a, x, causal: false)
        case let b as TransformerEncoderBlock:
            return try transformerBlock(b, x, causal: false)
        default:
            return nil
        }
    }

    /// A Transformer encoder block on `x` (`[L, dim]` per example), optionally causal.
    public func transformerBlock(_ b: TransformerEncoderBlock, _ x: Value, causal: Bool) throws -> Value {
        func add(_ p: Value, _ q: Value) -> Value { value(node("Add", [p.name, q.name]), p.shape) }
        if b.normFirst {
            let h = try emit(b.norm1, x)
            let y = add(x, attention(b.attention, h, causal: causal))
            return add(y, try emit(b.feedForward, try emit(b.norm2, y)))
        }
        let y = try emit(b.norm1, add(x, attention(b.attention, x, causal: causal)))
        return try emit(b.norm2, add(y, try emit(b.feedForward, y)))
    }

    /// Self-attention on `x` (`[L, dim]` per example): the heads as a `[N, heads, L, d]` batch of
    /// products, as `scaledDotProductAttention` computes them; blocked keys get -1e9 as there.
    public func attention(_ a: MultiHeadAttention, _ x: Value, causal: Bool) -> Value {
        let (length, heads, headDim) = (x.shape[0], a.heads, a.dim / a.heads)
        func split(_ projection: Linear, _ permutation: [Int]) -> String {
            transpose(reshape(linear(x, weight: projection.weight, bias: projection.bias).name, [length, heads, headDim]), permutation)
        }
        let q = split(a.query, [0, 2, 1, 3]), kT = split(a.key, [0, 2, 3, 1]), v = split(a.value, [0, 2, 1, 3])
        var scores = node("Mul", [node("MatMul", [q, kT]), constant("scale", [1 / Float(headDim).squareRoot()], shape: [])])
        if causal {
            let allowed = causalMask(queries: length, keys: length)
            scores = node("Add", [scores, constant("causal_mask", (allowed - 1) * 1e9)])
        }
        let attended = node("MatMul", [node("Softmax", [scores], [("axis", .int(-1))]), v])
        let merged = value(reshape(transpose(attended, [0, 2, 1, 3]), [length, a.dim]), [length, a.dim])
        return linear(merged, weight: a.output.weight, bias: a.output.bias)
    }

    /// The layers of `r` over a time-major `[T, N, features]` sequence, each an ONNX recurrent
    /// node; the last layer's outputs `[T, N, hidden]` and final `h` `[N, hidden]`.
    private func recurrentChain(_ r: Recurrent, _ timeMajor: String, reverse: Bool) throws -> (sequence: String, last: String) {
        var sequence = timeMajor, last = ""
        for cell in r.cells {
            let h = cell.hiddenSize
            let op: String, order: [Int]
            var attributes: [(String, Attribute)] = [("hidden_size", .int(h)), ("direction", .string(reverse ? "reverse" : "forward"))]
            switch cell {
            case is LSTMCell:
                // PyTorch's gates i, f, g, o; ONNX's i, o, f, c.
                (op, order) = ("LSTM", [0, 3, 1, 2])
            case is GRUCell:
                // PyTorch's r, z, n; ONNX's z, r, h, with the reset gate applied after the product.
                (op, order) = ("GRU", [1, 0, 2])
                attributes.append(("linear_before_reset", .int(1)))
            case let s as SimpleRNNCell:
                (op, order) = ("RNN", [0])
                attributes.append(("activations", .strings([s.nonlinearity == .tanh ? "Tanh" : "Relu"])))
            default:
                throw Err(description: "\(cell): no ONNX export for this recurrent cell")
            }
            func reordered(_ t: Tensor) -> Tensor {
                let parts = t.chunked(into: order.count, along: 0)
                return Tensor.concat(order.map { parts[$0] }, along: 0).unsqueezed(at: 0)
            }
            let w = constant("w", reordered(cell.weightIH.value)), rw = constant("r", reordered(cell.weightHH.value))
            let b = constant("b", Tensor.concat([reordered(cell.biasIH.value), reordered(cell.biasHH.value)], along: 1))
            let outputs = node(op, [sequence, w, rw, b], attributes, outputs: 2)
            // Y [T, 1, N, H] and Y_h [1, N, H] without the direction axis.
            sequence = node("Squeeze", [outputs[0], integers("axes", [1])])
            last = node("Squeeze", [outputs[1], integers("axes", [0])])
        }
        return (sequence, last)
    }
}
