import TensorCore
import Layers

/// Convolution, pooling, normalization and the recurrent operators.
extension ONNXOperators {
    /// `pads` (begins then ends) as our `Padding`, or `auto_pad`'s.
    private func padding(_ c: Context, spatial: Int) throws -> Padding {
        switch try c.string("auto_pad", "NOTSET") {
        case "SAME_UPPER": return .same
        case "VALID": return .valid
        case "NOTSET":
            let p = try c.ints("pads") ?? [Int](repeating: 0, count: 2 * spatial)
            try c.require(p.count == 2 * spatial && p.allSatisfy { (0...1 << 16).contains($0) }, "pads \(p) must be \(2 * spatial) sizes")
            return spatial == 1 ? .explicit(top: 0, bottom: 0, left: p[0], right: p[1])
                : .explicit(top: p[0], bottom: p[2], left: p[1], right: p[3])
        case let other: throw c.fail("auto_pad \(other) is not supported")
        }
    }

    private func pair(_ c: Context, _ name: String, spatial: Int, _ fallback: Int) throws -> (Int, Int) {
        let v = try c.ints(name) ?? [Int](repeating: fallback, count: spatial)
        try c.require(v.count == spatial && v.allSatisfy { (1...1 << 16).contains($0) }, "\(name) \(v) must be \(spatial) positive sizes")
        return spatial == 1 ? (1, v[0]) : (v[0], v[1])
    }

    func convolutionOrPooling(_ c: Context) throws -> Tensor {
        let x = try c.float(0)
        try c.require(x.rank == 3 || x.rank == 4, "input \(x.shape) must be [N, C, L] or [N, C, H, W]")
        let spatial = x.rank - 2
        // Everything runs as 2-D: a 1-D input is a height-1 image.
        let x4 = spatial == 1 ? x.unsqueezed(at: 2) : x
        let (h, w) = (x4.shape[2], x4.shape[3])
        let stride = try pair(c, "strides", spatial: spatial, 1), dilation = try pair(c, "dilations", spatial: spatial, 1)
        func out(_ y: Tensor) -> Tensor { spatial == 1 ? y.squeezed(at: 2) : y }
        func padded(_ p: Padding) -> (Int, Int) {
            if case .explicit(let t, let b, let l, let r) = p { return (h + t + b, w + l + r) }
            return (h, w)
        }
        /// The window fits the padded input and the output is not too large.
        func fits(_ kernel: (Int, Int), _ p: Padding, channels: Int) throws {
            let (ph, pw) = padded(p)
            let (reachH, reachW) = (dilation.0 * (kernel.0 - 1) + 1, dilation.1 * (kernel.1 - 1) + 1)
            try c.require(p == .same || (ph >= reachH && pw >= reachW),
                          "a \(kernel.0)x\(kernel.1) window does not fit the input \(x.shape) with its padding")
            let (oh, ow) = p == .same ? ((h + stride.0 - 1) / stride.0, (w + stride.1 - 1) / stride.1)
                : ((ph - reachH) / stride.0 + 1, (pw - reachW) / stride.1 + 1)
            try c.require(Self.elementCount([x4.shape[0], channels, oh, ow]) != nil, "the output of \(oh)x\(ow) positions is too large")
        }
        switch c.node.op {
        case "Conv", "ConvTranspose":
            let weight = try c.float(1)
            try c.require(weight.rank == x.rank, "weight \(weight.shape) must have the input's rank \(x.rank)")
            let w4 = spatial == 1 ? weight.unsqueezed(at: 2) : weight
            let groups = try c.int("group", 1)
            let bias = c.optional(2)
            let transposed = c.node.op == "ConvTranspose"
            try c.require((1...x4.shape[1]).contains(groups), "group \(groups) is not in 1...\(x4.shape[1])")
            try c.require(w4.shape[2] > 0 && w4.shape[3] > 0, "the kernel \(weight.shape) is empty")
            let outChannels = transposed ? w4.shape[1] * groups : w4.shape[0]
            try c.require(x4.shape[1] % groups == 0 && outChannels % groups == 0
                          && (transposed ? w4.shape[0] == x4.shape[1] : w4.shape[1] * groups == x4.shape[1]),
                          "weight \(weight.shape) in \(groups) group(s) does not fit \(x.shape[1]) input channels")
            try c.require(bias == nil || (bias!.dtype == .float32 && bias!.shape == [outChannels]), "bias must be [\(outChannels)]")
            let kernel = (w4.shape[2], w4.shape[3])
            if transposed {
                try c.require(spatial == 2 && c.node.attributes["output_shape"] == nil, "only 2-D transposed convolution without output_shape is supported")
                guard case .explicit(let t, let b, let l, let r) = try padding(c, spatial: 2), t == b, l == r else {
                    throw c.fail("only symmetric explicit padding is supported")
                }
                let op = try c.ints("output_padding") ?? [0, 0]
                try c.require(op.count == 2 && op[0] >= 0 && op[1] >= 0 && op[0] < max(stride.0, dilation.0) && op[1] < max(stride.1, dilation.1),
                              "output_padding \(op) must be 2 sizes below the stride or dilation")
                let oh = (h - 1) * stride.0 - 2 * t + dilation.0 * (kernel.0 - 1) + op[0] + 1
                let ow = (w - 1) * stride.1 - 2 * l + dilation.1 * (kernel.1 - 1) + op[1] + 1
                try c.require(oh > 0 && ow > 0 && Self.elementCount([x4.shape[0], outChannels, oh, ow]) != nil, "the output would be empty or too large")
                return convTranspose2d(x4, w4, bias: bias, stride: stride, padding: (t, l), outputPadding: (op[0], op[1]),
                                       dilation: dilation, groups: groups)
            }
            let p = try padding(c, spatial: spatial)
            try fits(kernel, p, channels: outChannels)
            return out(conv2d(x4, w4, bias: bias, stride: stride, padding: p, dilation: dilation, groups: groups))
        default:
            guard let k = try c.ints("kernel_shape"), k.count == spatial, k.allSatisfy({ (1...1 << 16).contains($0) }) else {
                throw c.fail("kernel_shape must be \(spatial) positive sizes")
            }
            try c.require(try c.int("ceil_mode", 0) == 0, "ceil_mode 1 is not supported")
            let kernel = spatial == 1 ? (1, k[0]) : (k[0], k[1])
            let p = try padding(c, spatial: spatial)
            try fits(kernel, p, channels: x4.shape[1])
            if c.node.op == "MaxPool" {
                try c.require(c.node.outputs.count == 1 || c.node.outputs[1].isEmpty, "the indices output is not supported")
                return out(maxPool2d(x4, kernelSize: kernel, stride: stride, padding: p, dilation: dilation))
            }
            try c.require(dilation == (1, 1), "dilated average pooling is not supported")
            return out(avgPool2d(x4, kernelSize: kernel, stride: stride, padding: p, countIncludePad: try c.int("count_include_pad", 0) != 0))
        }
    }

    func normalization(_ c: Context) throws -> Tensor {
        let x = try c.float(0)
        switch c.node.op {
        case "BatchNormalization":
            try c.require(try c.int("training_mode", 0) == 0, "training mode is not supported; export the model in eval mode")
            try c.require(x.rank >= 2, "input \(x.shape) has no channel axis")
            let channels = x.shape[1]
            let stats = try (1...4).map { k -> Tensor in
                let t = try c.float(k)
                try c.require(t.shape == [channels], "input \(k) must be [\(channels)], got \(t.shape)")
                return t
            }
            var axisShape = [Int](repeating: 1, count: x.rank)
            axisShape[1] = channels
            let scale = (rsqrt(stats[3] + (try c.float("epsilon", 1e-5))) * stats[0]).reshaped(to: Shape(axisShape))
            return (x - stats[2].reshaped(to: Shape(axisShape))) * scale + stats[1].reshaped(to: Shape(axisShape))
        case "LayerNormalization":
            let axis = try c.axis(try c.int("axis", -1), rank: x.rank)
            let normalized = Array(x.shape.dimensions[axis...])
            let gamma = try c.float(1)
            try c.require(gamma.scalarCount == normalized.reduce(1, *), "scale \(gamma.shape) must cover the axes \(normalized)")
            let beta = try c.optional(2).map { b -> Tensor in
                try c.require(b.dtype == .float32 && b.scalarCount == gamma.scalarCount, "bias \(b.shape) must match the scale")
                return b
            } ?? Tensor.zeros(Shape(normalized))
            return layerNormalized(x, gamma: gamma.reshaped(to: Shape(normalized)), beta: beta.reshaped(to: Shape(normalized)),
                                   epsilon: try c.float("epsilon", 1e-5))
        default:   // InstanceNormalization
            try c.require(x.rank >= 3, "input \(x.shape) has no spatial axes")
            let channels = x.shape[1]
            let scale = try c.float(1), bias = try c.float(2)
            try c.require(scale.shape == [channels] && bias.shape == [channels], "scale and bias must be [\(channels)]")
            let axes = Array(2..<x.rank)
            let centered = x - x.mean(along: axes, keepingDims: true)
            let variance = centered.squared().mean(along: axes, keepingDims: true)
            var axisShape = [Int](repeating: 1, count: x.rank)
            axisShape[1] = channels
            return centered * rsqrt(variance + (try c.float("epsilon", 1e-5))) * scale.reshaped(to: Shape(axisShape))
                + bias.reshaped(to: Shape(axisShape))
        }
    }

    /// ONNX's LSTM, GRU and RNN with their default activations, in any direction and layout,
    /// without sequence lengths or peepholes: the gates put back in PyTorch's order and run by
    /// the library's recurrence.
    func recurrent(_ c: Context) throws -> [Tensor] {
        let op = c.node.op
        let gates = op == "LSTM" ? 4 : op == "GRU" ? 3 : 1
        let layout = try c.int("layout", 0)
        var x = try c.float(0)
        try c.require(x.rank == 3 && (layout == 0 || layout == 1), "input \(x.shape) must be 3-D with layout 0 or 1")
        if layout == 0 { x = x.permuted(1, 0, 2) }   // [N, T, I]
        let (n, steps, features) = (x.shape[0], x.shape[1], x.shape[2])
        let hidden = try c.int("hidden_size", 0)
        let direction = try c.string("direction", "forward")
        let directions = direction == "bidirectional" ? 2 : 1
        try c.require(["forward", "reverse", "bidirectional"].contains(direction), "direction \(direction) is not one ONNX defines")
        let weight = try c.float(1), recurrence = try c.float(2)
        try c.require(hidden > 0 && weight.shape == [directions, gates * hidden, features] && recurrence.shape == [directions, gates * hidden, hidden],
                      "W \(weight.shape) and R \(recurrence.shape) do not fit hidden_size \(hidden), \(features) features, \(directions) direction(s)")
        let bias = try c.optional(3).map { b -> Tensor in
            try c.require(b.dtype == .float32 && b.shape == [directions, 2 * gates * hidden], "B must be [\(directions), \(2 * gates * hidden)]")
            return b
        } ?? Tensor.zeros([directions, 2 * gates * hidden])
        if let lengths = c.optional(4) {
            try c.require(lengths.dtype != .float32 && lengths.integers.allSatisfy { $0 == steps }, "sequence_lens shorter than the sequence are not supported")
        }
        func state(_ k: Int) throws -> Tensor {
            guard let s = c.optional(k) else { return Tensor.zeros([directions, n, hidden]) }
            let shaped = layout == 0 ? s : s.permuted(1, 0, 2)
            try c.require(s.dtype == .float32 && shaped.shape == [directions, n, hidden], "initial state \(s.shape) does not fit")
            return shaped
        }
        let h0 = try state(5), c0 = op == "LSTM" ? try state(6) : nil
        try c.require(op != "LSTM" || c.optional(7) == nil, "peepholes are not supported")
        try c.require(c.node.attributes["clip"] == nil && (try c.int("input_forget", 0)) == 0, "clip and input_forget are not supported")
        let activations = (try? c.node.attributes["activations"].flatMap { a -> [String]? in if case .strings(let s) = a { return s } else { return nil } }) ?? nil
        let defaults = op == "LSTM" ? ["Sigmoid", "Tanh", "Tanh"] : op == "GRU" ? ["Sigmoid", "Tanh"] : ["Tanh"]
        let relu = op == "RNN" && activations == Array(repeating: "Relu", count: directions)
        try c.require(activations == nil || activations! == Array(repeating: defaults, count: directions).flatMap { $0 } || relu,
                      "activations \(activations!) are not supported")
        try c.require(steps > 0 && n > 0, "the sequence \(x.shape) is empty")
        // ONNX's gate order to PyTorch's: LSTM i,o,f,c -> i,f,g,o; GRU z,r,h -> r,z,n.
        let order = op == "LSTM" ? [0, 2, 3, 1] : op == "GRU" ? [1, 0, 2] : [0]
        func reordered(_ t: Tensor) -> Tensor {
            let parts = t.chunked(into: gates, along: 0)
            return Tensor.concat(order.map { parts[$0] }, along: 0)
        }
        let linearBeforeReset = try c.int("linear_before_reset", 0) != 0
        var sequences: [Tensor] = [], lastH: [Tensor] = [], lastC: [Tensor] = []
        for d in 0..<directions {
            let reverse = direction == "reverse" || d == 1
            let w = reordered(weight[d]), r = reordered(recurrence[d])
            let wb = reordered(bias[d].sliced(along: 0, from: 0, to: gates * hidden)), rb = reordered(bias[d].sliced(along: 0, from: gates * hidden))
            let input = reverse ? reversedInTime(x) : x
            var outputs: Tensor
            switch op {
            case "LSTM":
                let hc = lstmRecurrence(linear(input, weight: w, bias: wb + rb), weightHH: r, h0: h0[d], c0: c0![d])
                outputs = hc.sliced(along: 2, from: 0, to: hidden)
                lastC.append(hc.sliced(along: 1, from: steps - 1).squeezed(at: 1).sliced(along: 1, from: hidden))
            default:
                let projected = linear(input, weight: w, bias: wb)
                var h = h0[d], hs: [Tensor] = []
                for t in 0..<steps {
                    let xt = projected.sliced(along: 1, from: t, to: t + 1).squeezed(at: 1)
                    if op == "RNN" {
                        let z = xt + linear(h, weight: r, bias: rb)
                        h = relu ? TensorCore.relu(z) : tanh(z)
                    } else {
                        let xg = xt.chunked(into: 3, along: 1), rg = r.chunked(into: 3, along: 0), bg = rb.chunked(into: 3, along: 0)
                        let reset = sigmoid(xg[0] + linear(h, weight: rg[0], bias: bg[0]))
                        let update = sigmoid(xg[1] + linear(h, weight: rg[1], bias: bg[1]))
                        let candidate = linearBeforeReset ? reset * linear(h, weight: rg[2], bias: bg[2]) : linear(reset * h, weight: rg[2], bias: bg[2])
                        let new = tanh(xg[2] + candidate)
                        h = new + update * (h - new)
                    }
                    hs.append(h)
                }
                outputs = Tensor.stack(hs, along: 1)
            }
            let last = outputs.sliced(along: 1, from: steps - 1).squeezed(at: 1)
            if reverse { outputs = reversedInTime(outputs) }
            sequences.append(outputs)
            lastH.append(last)
        }
        // Y [T, D, N, H] and Y_h, Y_c [D, N, H] (layout 0), or [N, T, D, H] and [N, D, H].
        let y = Tensor.stack(sequences, along: 2)   // [N, T, D, H]
        let yh = Tensor.stack(lastH, along: 0)
        let yc = lastC.isEmpty ? yh : Tensor.stack(lastC, along: 0)
        if layout == 1 { return [y, yh.permuted(1, 0, 2), yc.permuted(1, 0, 2)] }
        return [y.permuted(1, 2, 0, 3), yh, yc]
    }
}
