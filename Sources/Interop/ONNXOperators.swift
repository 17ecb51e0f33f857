import TensorCore
import Layers

/// ONNX's operators on our tensors, for `ONNXGraph`: float32 values through the library's
/// differentiable ops (so an imported graph can be fine-tuned), int64 values (shapes, indices,
/// the shape arithmetic exporters emit) on the host. Every input is checked before a kernel
/// sees it: a graph that does not fit together is an `ONNX.ImportError` naming the node, never
/// a stopped process. The operator set is what `torch.onnx.export` and our own export emit for
/// feed-forward, convolutional, recurrent and attention networks; any other is an error naming it.
struct ONNXOperators {
    static let supported: Set<String> = [
        "Identity", "Dropout", "Constant", "Add", "Sub", "Mul", "Div", "Pow", "Relu", "Sigmoid", "Tanh", "Erf", "Sqrt",
        "Exp", "Log", "Neg", "Abs", "LeakyRelu", "Elu", "Softplus", "Softmax", "LogSoftmax", "Gemm", "MatMul", "Conv",
        "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization",
        "LayerNormalization", "InstanceNormalization", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze",
        "Concat", "Gather", "Shape", "Slice", "Cast", "ConstantOfShape", "Expand", "Sum", "Mean", "ReduceMean",
        "ReduceSum", "LSTM", "GRU", "RNN", "Resize",
    ]

    let opset: Int

    /// The product of `sizes`, or nil when a size is negative or it passes 2^28 (the most
    /// elements a value of an imported graph may have).
    static func elementCount(_ sizes: [Int]) -> Int? {
        var p = 1
        for d in sizes {
            guard d >= 0 else { return nil }
            let (q, overflow) = p.multipliedReportingOverflow(by: d)
            guard !overflow, q <= 1 << 28 else { return nil }
            p = q
        }
        return p
    }

    struct Context {
        let node: ONNXFile.Node
        let inputs: [Tensor?]

        func fail(_ message: String) -> ONNX.ImportError {
            ONNX.ImportError(description: "node '\(node.name)' (\(node.op)): \(message)")
        }
        /// Input `k`, which must be present.
        func input(_ k: Int) throws -> Tensor {
            guard k < inputs.count, let t = inputs[k] else { throw fail("input \(k) is missing") }
            return t
        }
        func optional(_ k: Int) -> Tensor? { k < inputs.count ? inputs[k] : nil }
        func float(_ k: Int) throws -> Tensor {
            let t = try input(k)
            guard t.dtype == .float32 else { throw fail("input \(k) must be floating point, got \(t.dtype)") }
            guard t.scalarCount > 0 else { throw fail("input \(k) is empty (\(t.shape))") }
            return t
        }
        func integers(_ k: Int) throws -> [Int] {
            let t = try input(k)
            guard t.dtype != .float32 else { throw fail("input \(k) must hold integers") }
            return t.integers
        }
        func int(_ name: String, _ fallback: Int) throws -> Int {
            switch node.attributes[name] {
            case nil: return fallback
            case .int(let v)?: return v
            default: throw fail("attribute '\(name)' must be an integer")
            }
        }
        func float(_ name: String, _ fallback: Float) throws -> Float {
            switch node.attributes[name] {
            case nil: return fallback
            case .float(let v)?: return v
            default: throw fail("attribute '\(name)' must be a float")
            }
        }
        func ints(_ name: String) throws -> [Int]? {
            switch node.attributes[name] {
            case nil: return nil
            case .ints(let v)?: return v
            default: throw fail("attribute '\(name)' must be a list of integers")
            }
        }
        func string(_ name: String, _ fallback: String) throws -> String {
            switch node.attributes[name] {
            case nil: return fallback
            case .string(let v)?: return v
            default: throw fail("attribute '\(name)' must be a string")
            }
        }
        /// `axis` (which may count from the end) as an index into `rank` axes.
        func axis(_ axis: Int, rank: Int) throws -> Int {
            guard (-rank..<rank).contains(axis) else { throw fail("axis \(axis) is outside a tensor of rank \(rank)") }
            return axis < 0 ? axis + rank : axis
        }
        func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
            if !condition { throw fail(message()) }
        }
    }

    func evaluate(_ node: ONNXFile.Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let c = Context(node: node, inputs: inputs)
        switch node.op {
        case "Identity": return [try c.input(0)]
        case "Dropout": return [try c.input(0)]
        case "Constant":
            guard case .tensor(let t)? = node.attributes["value"] else {
                if let f = try? c.float("value_float", .nan), !f.isNaN { return [Tensor([f], shape: [])] }
                if let v = try c.ints("value_ints") { return [Tensor(integers: v, shape: [v.count])] }
                if case .int(let v)? = node.attributes["value_int"] { return [Tensor(integers: [v], shape: [])] }
                throw c.fail("only tensor, float and integer constants are read")
            }
            return [t]
        case "Add", "Sub", "Mul", "Div", "Pow": return [try arithmetic(c)]
        case "Sum", "Mean":
            var total = try c.float(0)
            for k in 1..<max(1, inputs.count) { total = try broadcast(c, total, try c.float(k)) { $0 + $1 } }
            return [node.op == "Mean" ? total / Float(inputs.count) : total]
        case "Relu": return [relu(try c.float(0))]
        case "Sigmoid": return [sigmoid(try c.float(0))]
        case "Tanh": return [tanh(try c.float(0))]
        case "Erf": return [erf(try c.float(0))]
        case "Sqrt": return [sqrt(try c.float(0))]
        case "Exp": return [exp(try c.float(0))]
        case "Log": return [log(try c.float(0))]
        case "Neg": return [-1 * (try c.float(0))]
        case "Abs": return [abs(try c.float(0))]
        case "LeakyRelu":
            let x = try c.float(0), alpha = try c.float("alpha", 0.01)
            return [maximum(x, 0) + alpha * minimum(x, 0)]
        case "Elu":
            let x = try c.float(0), alpha = try c.float("alpha", 1)
            return [maximum(x, 0) + alpha * (exp(minimum(x, 0)) - 1)]
        case "Softplus":
            let x = try c.float(0)
            return [maximum(x, 0) + log1p(exp(-1 * abs(x)))]   // log(1 + eˣ) without overflow
        case "Softmax", "LogSoftmax":
            let x = try c.float(0)
            let axis = try c.axis(try c.int("axis", opset >= 13 ? -1 : 1), rank: x.rank)
            // Before opset 13 the input was flattened to 2-D at the axis; the same when it is the last.
            try c.require(opset >= 13 || axis == x.rank - 1, "softmax over axes \(axis)... of opset \(opset) is not supported")
            return [node.op == "Softmax" ? softmax(x, along: axis) : x - x.logSumExp(along: axis, keepingDims: true)]
        case "Gemm": return [try gemm(c)]
        case "MatMul": return [try matrixProduct(c, try c.float(0), try c.float(1))]
        case "Conv", "ConvTranspose", "MaxPool", "AveragePool": return [try convolutionOrPooling(c)]
        case "GlobalAveragePool", "GlobalMaxPool":
            let x = try c.float(0)
            try c.require(x.rank >= 3, "input \(x.shape) has no spatial axes")
            let axes = Array(2..<x.rank)
            return [node.op == "GlobalAveragePool" ? x.mean(along: axes, keepingDims: true) : x.max(along: axes, keepingDims: true)]
        case "BatchNormalization", "LayerNormalization", "InstanceNormalization": return [try normalization(c)]
        case "ReduceMean", "ReduceSum": return [try reduction(c)]
        case "LSTM", "GRU", "RNN": return try recurrent(c)
        default: return [try shapeOperator(c)]
        }
    }

    /// numpy's broadcasting of two shapes, or nil when they do not broadcast.
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = max(a.count, b.count)
        var out: [Int] = []
        for k in 0..<rank {
            let x = k < rank - a.count ? 1 : a[k - (rank - a.count)], y = k < rank - b.count ? 1 : b[k - (rank - b.count)]
            guard x == y || x == 1 || y == 1 else { return nil }
            out.append(max(x, y))
        }
        return out
    }

    func broadcast(_ c: Context, _ a: Tensor, _ b: Tensor, _ op: (Tensor, Tensor) -> Tensor) throws -> Tensor {
        try c.require(Self.broadcastShape(a.shape.dimensions, b.shape.dimensions) != nil, "shapes \(a.shape) and \(b.shape) do not broadcast")
        return op(a, b)
    }

    private func arithmetic(_ c: Context) throws -> Tensor {
        let a = try c.input(0), b = try c.input(1)
        if a.dtype != .float32 || b.dtype != .float32 {
            // Shape arithmetic: integers on the host, element by element with broadcasting.
            try c.require(a.dtype != .float32 && b.dtype != .float32, "mixes integer and float inputs")
            guard let shape = Self.broadcastShape(a.shape.dimensions, b.shape.dimensions) else {
                throw c.fail("shapes \(a.shape) and \(b.shape) do not broadcast")
            }
            let x = a.expanded(to: Shape(shape)).integers, y = b.expanded(to: Shape(shape)).integers
            let values: [Int] = try zip(x, y).map { p, q in
                switch c.node.op {
                case "Add": return p &+ q
                case "Sub": return p &- q
                case "Mul": return p &* q
                case "Div":
                    guard q != 0 else { throw c.fail("integer division by zero") }
                    return p == Int.min && q == -1 ? Int.min : p / q   // toward zero, as onnxruntime
                default: throw c.fail("integer powers are not supported")
                }
            }
            return Tensor(integers: values, shape: Shape(shape))
        }
        switch c.node.op {
        case "Add": return try broadcast(c, a, b, +)
        case "Sub": return try broadcast(c, a, b, -)
        case "Mul": return try broadcast(c, a, b, *)
        case "Div": return try broadcast(c, a, b, /)
        default:
            if b.scalarCount == 1 && b.rank <= a.rank { return pow(a, b.scalars[0]) }
            return try broadcast(c, a, b) { pow($0, $1) }
        }
    }

    private func gemm(_ c: Context) throws -> Tensor {
        var a = try c.float(0), b = try c.float(1)
        try c.require(a.rank == 2 && b.rank == 2, "inputs \(a.shape) and \(b.shape) must be matrices")
        if try c.int("transA", 0) != 0 { a = a.transposed() }
        let transB = try c.int("transB", 0) != 0
        let (k, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        try c.require(a.shape[1] == k, "\(a.shape) times \(transB ? "the transpose of " : "")\(b.shape) do not fit")
        let alpha = try c.float("alpha", 1), beta = try c.float("beta", 1)
        var y = matmul(a, b, transposeA: false, transposeB: transB)
        if alpha != 1 { y = y * alpha }
        if let bias = c.optional(2) {
            try c.require(bias.dtype == .float32 && Self.broadcastShape(bias.shape.dimensions, [a.shape[0], n]) == [a.shape[0], n],
                          "bias \(bias.shape) does not broadcast to [\(a.shape[0]), \(n)]")
            y = y + (beta == 1 ? bias : bias * beta)
        }
        return y
    }

    /// numpy's `matmul`: matrices, a stack of them times a matrix, or stacks of equal batch shape.
    func matrixProduct(_ c: Context, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        try c.require(a.rank >= 2 && b.rank >= 2, "vector products (\(a.shape), \(b.shape)) are not supported")
        let k = a.shape[a.rank - 1]
        try c.require(b.shape[b.rank - 2] == k, "\(a.shape) times \(b.shape) do not fit")
        let (m, n) = (a.shape[a.rank - 2], b.shape[b.rank - 1])
        if b.rank == 2 {
            let batch = Array(a.shape.dimensions.dropLast(2))
            return matmul(a.reshaped(to: [-1, k]), b).reshaped(to: Shape(batch + [m, n]))
        }
        if a.rank == 2 {
            // A · X over a stack X: (Xᵀ Aᵀ)ᵀ, one product over the stack's rows.
            let batch = Array(b.shape.dimensions.dropLast(2))
            let xt = b.transposed(b.rank - 2, b.rank - 1).reshaped(to: [-1, k])
            return matmul(xt, a, transposeA: false, transposeB: true).reshaped(to: Shape(batch + [n, m]))
                .transposed(b.rank - 2, b.rank - 1)
        }
        try c.require(a.shape.dimensions.dropLast(2) == b.shape.dimensions.dropLast(2),
                      "batched product of \(a.shape) and \(b.shape): the stacks must have the same shape")
        let batch = Array(a.shape.dimensions.dropLast(2))
        return matmul(a.reshaped(to: [-1, m, k]), b.reshaped(to: [-1, k, n])).reshaped(to: Shape(batch + [m, n]))
    }

    private func reduction(_ c: Context) throws -> Tensor {
        let x = try c.float(0)
        let axesInput = opset >= 18 || c.node.op == "ReduceSum" && opset >= 13
        var axes = try (axesInput ? c.optional(1).map { t -> [Int] in
            guard t.dtype != .float32 else { throw c.fail("axes must be integers") }
            return t.integers
        } : c.ints("axes")) ?? []
        let noop = try c.int("noop_with_empty_axes", 0) != 0
        if axes.isEmpty && noop { return x }
        if axes.isEmpty { axes = Array(0..<x.rank) }
        axes = try axes.map { try c.axis($0, rank: x.rank) }
        let keep = try c.int("keepdims", 1) != 0
        return c.node.op == "ReduceMean" ? x.mean(along: axes, keepingDims: keep) : x.sum(along: axes, keepingDims: keep)
    }
}
