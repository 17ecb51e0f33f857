import TensorCore
import Layers

/// The operators that move elements without computing: on float32 values through the
/// library's ops, on int64 values (shape arithmetic) by applying the same op to the elements'
/// flat positions and reading the values back from there.
extension ONNXOperators {
    /// `op` applied to `t`, which may hold integers: the positions 0..<count go through the
    /// float op exactly (below 2^24), and each result takes the value at its position.
    private func moving(_ c: Context, _ ts: [Tensor], _ op: ([Tensor]) -> Tensor) throws -> Tensor {
        guard ts.contains(where: { $0.dtype != .float32 }) else { return op(ts) }
        try c.require(ts.reduce(0) { $0 + $1.scalarCount } <= 1 << 24, "moves more than 2^24 integers")
        var values: [Int] = [], offset = 0
        let positions = ts.map { t -> Tensor in
            defer { offset += t.scalarCount }
            values += t.dtype == .float32 ? t.scalars.map { Int($0) } : t.integers
            return Tensor((0..<t.scalarCount).map { Float(offset + $0) }, shape: t.shape)
        }
        let moved = op(positions)
        return Tensor(integers: moved.scalars.map { values[Int($0)] }, shape: moved.shape)
    }

    private func axesInput(_ c: Context, attribute: String, input: Int, since version: Int) throws -> [Int]? {
        if opset >= version { return try c.optional(input).map { _ in try c.integers(input) } }
        return try c.ints(attribute)
    }

    func shapeOperator(_ c: Context) throws -> Tensor {
        let x = try c.input(0)
        let dims = x.shape.dimensions
        switch c.node.op {
        case "Flatten":
            let axis = try c.int("axis", 1)
            let a = axis < 0 ? axis + x.rank : axis
            try c.require((0...x.rank).contains(a), "axis \(axis) is outside rank \(x.rank)")
            return x.reshaped(to: [dims[..<a].reduce(1, *), dims[a...].reduce(1, *)])
        case "Reshape":
            var shape = try c.integers(1)
            let allowZero = try c.int("allowzero", 0) != 0
            for k in shape.indices where shape[k] == 0 && !allowZero {
                try c.require(k < x.rank, "dimension \(k) copies an input dimension that \(x.shape) lacks")
                shape[k] = dims[k]
            }
            guard shape.filter({ $0 == -1 }).count <= 1, shape.allSatisfy({ $0 >= -1 }),
                  let known = Self.elementCount(shape.filter { $0 != -1 }) else { throw c.fail("shape \(shape) is not valid") }
            if let k = shape.firstIndex(of: -1) {
                try c.require(known > 0 && x.scalarCount % known == 0, "cannot reshape \(x.shape) to \(shape)")
                shape[k] = x.scalarCount / known
            }
            try c.require(Self.elementCount(shape) == x.scalarCount, "cannot reshape \(x.shape) (\(x.scalarCount) elements) to \(shape)")
            return x.reshaped(to: Shape(shape))
        case "Transpose":
            let perm = try c.ints("perm") ?? Array((0..<x.rank).reversed())
            try c.require(perm.sorted() == Array(0..<x.rank), "perm \(perm) is not a permutation of \(x.rank) axes")
            return try moving(c, [x]) { $0[0].permuted(perm) }
        case "Squeeze":
            let axes = try axesInput(c, attribute: "axes", input: 1, since: 13)?.map { try c.axis($0, rank: x.rank) }
                ?? (0..<x.rank).filter { dims[$0] == 1 }
            try c.require(axes.allSatisfy { dims[$0] == 1 }, "axes \(axes) of \(x.shape) are not all of size 1")
            return x.reshaped(to: Shape(dims.enumerated().filter { !axes.contains($0.offset) }.map(\.element)))
        case "Unsqueeze":
            guard let raw = try axesInput(c, attribute: "axes", input: 1, since: 13) else { throw c.fail("axes are missing") }
            let rank = x.rank + raw.count
            let axes = try raw.map { try c.axis($0, rank: rank) }.sorted()
            try c.require(Set(axes).count == axes.count, "axes \(raw) repeat")
            var out = dims
            for a in axes { out.insert(1, at: a) }
            return x.reshaped(to: Shape(out))
        case "Concat":
            let all = try (0..<c.inputs.count).map { try c.input($0) }
            let axis = try c.axis(try c.int("axis", 0), rank: x.rank)
            try c.require(all.allSatisfy { t in
                t.rank == x.rank && (0..<x.rank).allSatisfy { $0 == axis || t.shape[$0] == x.shape[$0] } && (t.dtype == .float32) == (x.dtype == .float32)
            }, "inputs \(all.map(\.shape)) do not concatenate along axis \(axis)")
            return try moving(c, all) { Tensor.concat($0, along: axis) }
        case "Gather":
            let axis = try c.axis(try c.int("axis", 0), rank: x.rank)
            let indicesTensor = try c.input(1)
            let size = dims[axis]
            let indices = try c.integers(1).map { i -> Int in
                try c.require((-size..<size).contains(i), "index \(i) is outside axis \(axis) of \(x.shape)")
                return i < 0 ? i + size : i
            }
            let shape = Array(dims[..<axis]) + indicesTensor.shape.dimensions + Array(dims[(axis + 1)...])
            return try moving(c, [x]) { $0[0].selecting(along: axis, indices: Tensor(integers: indices)) }.reshaped(to: Shape(shape))
        case "Shape":
            let start = try c.int("start", 0), end = try c.int("end", x.rank)
            let s = max(0, min(x.rank, start < 0 ? start + x.rank : start)), e = max(s, min(x.rank, end < 0 ? end + x.rank : end))
            return Tensor(integers: Array(dims[s..<e]), shape: [e - s])
        case "Slice": return try slice(c, x)
        case "Cast":
            let to = try c.int("to", 1)
            switch to {
            case 1, 10, 11, 16: return x.dtype == .float32 ? x : Tensor(x.integers.map(Float.init), shape: x.shape)
            case 9:
                let values = x.dtype == .float32 ? x.scalars.map { $0 != 0 ? 1 : 0 } : x.integers.map { $0 != 0 ? 1 : 0 }
                return Tensor(integers: values, shape: x.shape)
            case 2, 3, 4, 5, 6, 7, 12, 13:
                guard x.dtype == .float32 else { return x }
                try c.require(x.scalars.allSatisfy { $0.isFinite && abs($0) < 9e18 }, "casts a value that is not a finite integer")
                return Tensor(integers: x.scalars.map { Int($0.rounded(.towardZero)) }, shape: x.shape)
            default: throw c.fail("cast to ONNX type \(to) is not supported")
            }
        case "ConstantOfShape":
            let shape = try c.integers(0)
            guard let count = Self.elementCount(shape) else { throw c.fail("shape \(shape) is not valid") }
            var fill = Tensor([0], shape: [1])
            if case .tensor(let t)? = c.node.attributes["value"] { fill = t }
            try c.require(fill.scalarCount == 1, "value must hold one element")
            if fill.dtype != .float32 { return Tensor(integers: [Int](repeating: fill.integers[0], count: count), shape: Shape(shape)) }
            return Tensor.full(Shape(shape), value: fill.scalars[0])
        case "Expand":
            let target = try c.integers(1)
            guard target.allSatisfy({ $0 >= 0 }), let shape = Self.broadcastShape(dims, target), Self.elementCount(shape) != nil else {
                throw c.fail("\(x.shape) does not expand to \(target)")
            }
            return try moving(c, [x]) { $0[0].reshaped(to: Shape([Int](repeating: 1, count: shape.count - x.rank) + dims)).expanded(to: Shape(shape)) }
        case "Resize":
            return try resize(c, x)
        default:
            throw c.fail(ONNXOperators.supported.contains(c.node.op) ? "not handled" : "the operator \(c.node.op) is not supported")
        }
    }

    private func slice(_ c: Context, _ x: Tensor) throws -> Tensor {
        let starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?
        if opset >= 10 {
            (starts, ends) = (try c.integers(1), try c.integers(2))
            axes = try c.optional(3).map { _ in try c.integers(3) }
            steps = try c.optional(4).map { _ in try c.integers(4) }
        } else {
            (starts, ends, axes, steps) = (try c.ints("starts") ?? [], try c.ints("ends") ?? [], try c.ints("axes"), nil)
        }
        let axisList = try (axes ?? Array(0..<starts.count)).map { try c.axis($0, rank: x.rank) }
        try c.require(starts.count == ends.count && axisList.count == starts.count && (steps?.count ?? starts.count) == starts.count,
                      "starts, ends, axes and steps must have the same length")
        var y = x
        for (k, axis) in axisList.enumerated() {
            let size = x.shape[axis], step = steps?[k] ?? 1
            try c.require(step > 0, "negative or zero steps are not supported")
            func clamp(_ v: Int) -> Int { max(0, min(size, v < 0 ? v + size : v)) }
            let s = clamp(starts[k]), e = max(s, clamp(ends[k]))
            try c.require(e > s, "slice \(starts[k])..<\(ends[k]) of axis \(axis) is empty")
            y = try moving(c, [y]) { $0[0].sliced(along: axis, from: s, to: e, stride: step) }
        }
        return y
    }

    /// Integer upsampling of an NCHW image: nearest (asymmetric, floor) or linear (half_pixel),
    /// the two modes `Upsample` computes.
    private func resize(_ c: Context, _ x: Tensor) throws -> Tensor {
        try c.require(x.rank == 4, "input \(x.shape) must be [N, C, H, W]")
        var scales = c.optional(2).map { $0.dtype == .float32 ? $0.scalars : [] } ?? []
        if scales.isEmpty, let sizes = c.optional(3) {
            let s = try c.integers(3)
            try c.require(s.count == 4 && s[0] == x.shape[0] && s[1] == x.shape[1] && sizes.dtype != .float32 && s.allSatisfy { (1...1 << 20).contains($0) },
                          "sizes \(s) must keep N and C")
            scales = [1, 1, Float(s[2]) / Float(x.shape[2]), Float(s[3]) / Float(x.shape[3])]
        }
        guard scales.count == 4, scales[0] == 1, scales[1] == 1, scales[2] == scales[3], scales[2] >= 1, scales[2] <= 64,
              scales[2] == scales[2].rounded(),
              Self.elementCount(x.shape.dimensions.prefix(2) + x.shape.dimensions.suffix(2).map { $0 * Int(scales[2]) }) != nil else {
            throw c.fail("only equal integer scales of H and W are supported, got \(scales)")
        }
        let mode = try c.string("mode", "nearest"), transform = try c.string("coordinate_transformation_mode", "half_pixel")
        if mode == "nearest" {
            try c.require(transform == "asymmetric" && (try c.string("nearest_mode", "round_prefer_floor")) == "floor",
                          "nearest resizing needs coordinate_transformation_mode asymmetric and nearest_mode floor")
            return Upsample(scale: Int(scales[2]), mode: .nearest)(x)
        }
        try c.require(mode == "linear" && (transform == "half_pixel" || transform == "pytorch_half_pixel"), "mode \(mode) with \(transform) is not supported")
        return Upsample(scale: Int(scales[2]), mode: .bilinear)(x)
    }
}
