import TensorCore
import Layers

extension ONNX {
    /// What `importModel` built.
    public struct Imported {
        /// Our layers (`Sequential`) where the graph is a chain of them, else an `ONNXGraph`.
        public let network: any Layer
        /// One example's shape and element type (float32, or int64 ids).
        public let inputShape: [Int]
        public let inputType: DType
        /// True when the graph became our layers.
        public var rebuilt: Bool { !(network is ONNXGraph) }
    }

    /// Reads an ONNX file, such as one written by `torch.onnx.export` or by `ONNX.export`, into
    /// a network: our own layers where the graph is a chain of operators they compute (Gemm,
    /// Conv, BatchNormalization, the activations, pooling, Flatten, a constant Reshape), so it
    /// trains and saves like one built here; otherwise the graph runs node by node
    /// (`ONNXGraph`). Either way the network is run once on two examples before it is
    /// returned, and a rebuilt one must agree with the node-by-node run, so what comes back
    /// works. An unsupported operator is an error naming it and its node.
    public static func importModel(_ path: String) throws -> Imported {
        do { return try importModel(try ONNXFile.load(path)) } catch let e as ImportError where !e.description.hasPrefix(path) {
            throw ImportError(description: "\(path): \(e.description)")
        }
    }

    public static func importModel(_ file: ONNXFile) throws -> Imported {
        let graph = try ONNXGraph(file: file)
        let dims = file.inputs[0].dimensions.dropFirst()
        let shape = dims.compactMap { $0 }
        guard !dims.isEmpty, shape.count == dims.count, let size = ONNXOperators.elementCount([2] + shape) else {
            throw ImportError(description: "the input '\(graph.inputName)' has dimensions \(file.inputs[0].dimensions.map { $0.map(String.init) ?? "?" }); "
                              + "all but the batch must be fixed sizes")
        }
        // Two examples (or the batch the file fixes): zeros for ids, a fixed pattern in [0, 1) for floats.
        let batch = file.inputs[0].dimensions.first.flatMap { $0 } ?? 2
        guard let count = ONNXOperators.elementCount([batch] + shape), size > 0 else {
            throw ImportError(description: "the input '\(graph.inputName)' of a batch of \(batch) is too large")
        }
        let probe = graph.inputType == .float32
            ? Tensor((0..<count).map { Float(($0 * 7919) % 1000) / 1000 }, shape: Shape([batch] + shape))
            : Tensor(integers: [Int](repeating: 0, count: count), shape: Shape([batch] + shape))
        let expected = try withoutGradients { try graph.run(probe) }
        if graph.inputType == .float32, let chain = try? layers(of: graph), chain.layers.count > 0,
           let y = try? checkedRun(chain, probe), y.shape == expected.shape,
           zip(y.scalars, expected.scalars).allSatisfy({ abs($0 - $1) <= 1e-4 * max(1, abs($1)) }) {
            return Imported(network: chain, inputShape: shape, inputType: .float32)
        }
        return Imported(network: graph, inputShape: shape, inputType: graph.inputType)
    }

    /// `layer` on `x` after checking the shapes it would take, so a mismatch is thrown.
    private static func checkedRun(_ layer: Sequential, _ x: Tensor) throws -> Tensor {
        _ = try layer.checkedOutputShape(for: x.shape.dimensions)
        return withoutGradients { layer.eval(); return layer(x) }
    }

    private struct NotAChain: Error {}

    /// The graph as a chain of our layers, or `NotAChain`.
    private static func layers(of graph: ONNXGraph) throws -> Sequential {
        var values: [String: Tensor] = graph.constants
        for (name, p) in graph.parameters { values[name] = p.value }
        var current = graph.inputName
        var built: [any Layer] = []
        var k = 0
        let nodes = graph.nodes
        func constant(_ node: ONNXFile.Node, _ i: Int) throws -> Tensor {
            guard i < node.inputs.count, let t = values[node.inputs[i]] else { throw NotAChain() }
            return t
        }
        func ints(_ node: ONNXFile.Node, _ name: String) -> [Int]? {
            if case .ints(let v)? = node.attributes[name] { return v }
            return nil
        }
        func int(_ node: ONNXFile.Node, _ name: String, _ fallback: Int) -> Int {
            if case .int(let v)? = node.attributes[name] { return v }
            return fallback
        }
        func float(_ node: ONNXFile.Node, _ name: String, _ fallback: Float) -> Float {
            if case .float(let v)? = node.attributes[name] { return v }
            return fallback
        }
        func pads(_ node: ONNXFile.Node) throws -> Padding {
            if case .string(let s)? = node.attributes["auto_pad"], s != "NOTSET" {
                guard s == "SAME_UPPER" || s == "VALID" else { throw NotAChain() }
                return s == "VALID" ? .valid : .same
            }
            guard let p = ints(node, "pads"), p.count == 4 else { return .valid }
            return p.allSatisfy { $0 == 0 } ? .valid : .explicit(top: p[0], bottom: p[2], left: p[1], right: p[3])
        }
        func pair(_ v: [Int]?, _ fallback: Int) throws -> (Int, Int) {
            guard let v else { return (fallback, fallback) }
            guard v.count == 2 else { throw NotAChain() }
            return (v[0], v[1])
        }
        while k < nodes.count {
            let node = nodes[k]
            k += 1
            // A chain: each node reads the previous one's output and otherwise only stored tensors.
            guard node.inputs.first == current, node.inputs.dropFirst().allSatisfy({ $0.isEmpty || values[$0] != nil }) else { throw NotAChain() }
            switch node.op {
            case "Gemm":
                guard int(node, "transA", 0) == 0, float(node, "alpha", 1) == 1, float(node, "beta", 1) == 1 else { throw NotAChain() }
                var w = try constant(node, 1)
                if int(node, "transB", 0) == 0 { w = w.transposed() }
                guard w.rank == 2 else { throw NotAChain() }
                let bias = node.inputs.count > 2 ? try constant(node, 2) : nil
                guard bias == nil || bias!.shape == [w.shape[0]] else { throw NotAChain() }
                let l = Linear(w.shape[1], w.shape[0], bias: bias != nil)
                l.weight.value = w
                if let bias { l.bias!.value = bias }
                built.append(l)
            case "Conv":
                let w = try constant(node, 1)
                guard w.rank == 4 else { throw NotAChain() }
                let bias = node.inputs.count > 2 ? try constant(node, 2) : nil
                let groups = int(node, "group", 1)
                let c = Conv2D(w.shape[1] * groups, w.shape[0], kernelSize: (w.shape[2], w.shape[3]),
                               stride: try pair(ints(node, "strides"), 1), padding: try pads(node),
                               dilation: try pair(ints(node, "dilations"), 1), groups: groups, bias: bias != nil)
                c.weight.value = w
                if let bias { c.bias!.value = bias }
                built.append(c)
            case "BatchNormalization":
                let scale = try constant(node, 1)
                guard scale.rank == 1, int(node, "training_mode", 0) == 0 else { throw NotAChain() }
                let b = BatchNorm(scale.shape[0], epsilon: float(node, "epsilon", 1e-5))
                for (p, i) in [(b.weight, 1), (b.bias, 2), (b.running_mean, 3), (b.running_var, 4)] { p.value = try constant(node, i) }
                built.append(b)
            case "MaxPool", "AveragePool":
                guard let kernel = ints(node, "kernel_shape"), kernel.count == 2, int(node, "ceil_mode", 0) == 0,
                      ints(node, "dilations").map({ $0.allSatisfy { $0 == 1 } }) ?? true else { throw NotAChain() }
                let p = try pads(node)
                let k2 = (kernel[0], kernel[1]), s = try pair(ints(node, "strides"), 1)
                if node.op == "MaxPool" {
                    built.append(MaxPool2D(kernelSize: k2, stride: s, padding: p))
                } else {
                    guard p == .valid else { throw NotAChain() }
                    built.append(AvgPool2D(kernelSize: k2, stride: s))
                }
            case "GlobalAveragePool", "GlobalMaxPool":
                // Pooled to [N, C, 1, 1] and flattened: our GlobalPool.
                guard k < nodes.count, nodes[k].op == "Flatten", nodes[k].inputs.first == node.outputs.first, int(nodes[k], "axis", 1) == 1 else { throw NotAChain() }
                built.append(GlobalPool(node.op == "GlobalAveragePool" ? .average : .max))
                current = nodes[k].outputs[0]
                k += 1
                continue
            case "Flatten":
                guard int(node, "axis", 1) == 1 else { throw NotAChain() }
                built.append(Flatten())
            case "Reshape":
                let shape = try constant(node, 1)
                guard shape.dtype != .float32, let first = shape.integers.first, first == -1 || first == 0,
                      shape.integers.dropFirst().allSatisfy({ $0 > 0 }) else { throw NotAChain() }
                built.append(Reshape(Shape(Array(shape.integers.dropFirst()))))
            case "Relu": built.append(ReLU())
            case "Sigmoid": built.append(Sigmoid())
            case "Tanh": built.append(Tanh())
            case "Softmax": built.append(Softmax(axis: int(node, "axis", graph.opset >= 13 ? -1 : 1)))
            case "LeakyRelu": built.append(LeakyReLU(negativeSlope: float(node, "alpha", 0.01)))
            case "Elu": built.append(ELU(alpha: float(node, "alpha", 1)))
            case "Identity", "Dropout": break
            default: throw NotAChain()
            }
            guard node.outputs.count == 1 || node.op == "Dropout" else { throw NotAChain() }
            current = node.outputs[0]
        }
        guard current == graph.outputName else { throw NotAChain() }
        return Sequential(built)
    }
}
