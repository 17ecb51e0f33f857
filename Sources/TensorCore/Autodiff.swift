extension Tensor {
    /// Whether operations on this tensor are recorded. Setting it makes the tensor a leaf of
    /// the tape whose `grad` collects gradients; clearing it detaches the tensor.
    public var requiresGrad: Bool {
        get { node != nil }
        set {
            if newValue {
                require(dtype == .float32, "requiresGrad: only float32 tensors have gradients, got \(dtype)")
                if node == nil { node = GradNode(leafOfShape: shape) }
            } else {
                node = nil
            }
        }
    }

    /// Whether this tensor was created by the user rather than computed from tracked tensors.
    public var isLeaf: Bool { node.map { $0.op == nil && !$0.isReleased } ?? true }

    /// The gradient accumulated by `backward()` calls, for leaves; nil before the first call or
    /// after it is cleared. Shape: the tensor's shape.
    public var grad: Tensor? {
        get { node?.grad }
        nonmutating set { node?.grad = newValue }
    }

    /// Called by each `backward()` that reaches this leaf, with its gradient once the walk has
    /// added all it will (PyTorch's `register_post_accumulate_grad_hook`): the moment data-parallel
    /// training can send it while the rest of the walk goes on. Kept while the tensor is a leaf
    /// (`requiresGrad`); nil removes it.
    public var postAccumulateGradientHook: ((Tensor) -> Void)? {
        get { node?.gradientHook }
        nonmutating set {
            let isLeaf = node.map { $0.op == nil } ?? false
            require(isLeaf || newValue == nil, "postAccumulateGradientHook: only a leaf that requires gradients has one")
            node?.gradientHook = newValue
        }
    }

    /// The same elements, cut off from the tape (shares storage until either is written).
    public func detached() -> Tensor {
        Tensor(shape: shape, storage: storage)
    }

    /// Computes the gradient of this tensor with respect to every leaf it was computed from,
    /// adding it to each leaf's `grad`.
    ///
    /// - Parameter gradient: the gradient of the final objective with respect to this tensor;
    ///   may be omitted (taken as 1) when this tensor has one element.
    ///
    /// The tape is walked once in reverse topological order; gradients add up where a tensor
    /// was used several times. Higher-order gradients are not recorded. Afterwards the graph's
    /// saved tensors are freed (PyTorch's default), so it cannot be walked a second time.
    public func backward(gradient: Tensor? = nil) {
        guard let root = node else {
            requirementFailure(
                "backward: tensor of shape \(shape) does not require gradients; set requiresGrad on an input")
        }
        let seed: Tensor
        if let gradient {
            require(gradient.shape == shape, "backward: gradient shape \(gradient.shape) differs from tensor shape \(shape)")
            seed = gradient.detached()
        } else {
            require(scalarCount == 1, "backward: a gradient must be given for non-scalar output of shape \(shape)")
            seed = Tensor.ones(shape)
        }
        let order = Self.topologicalOrder(from: root)
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): seed]
        withoutGradients {
            for node in order.reversed() {
                guard let g = pending.removeValue(forKey: ObjectIdentifier(node)) else { continue }
                require(
                    !node.isReleased,
                    "backward: this graph was already freed by an earlier backward(); recompute it, or detach() tensors carried between steps")
                guard let op = node.op else {
                    // Every result computed from this leaf comes later in `order`, so its
                    // gradient is complete here.
                    let total = node.grad.map { $0 + g } ?? g
                    node.grad = total
                    node.gradientHook?(total)
                    continue
                }
                let output = Tensor(shape: node.shape, storage: node.output!)
                let inputs = op.inputs
                let gradients = op.inputGradients(g, output: output)
                for (input, inputGradient) in zip(inputs, gradients) {
                    guard let inputNode = input.node, let inputGradient else { continue }
                    let reduced = inputGradient.unbroadcasted(to: input.shape)
                    let key = ObjectIdentifier(inputNode)
                    pending[key] = pending[key].map { $0 + reduced } ?? reduced
                }
                node.release()
            }
        }
        // Results no gradient reached (dead branches) are freed too.
        for node in order where node.op != nil { node.release() }
    }

    /// Nodes reachable from `root`, each after all the nodes it was computed from.
    private static func topologicalOrder(from root: GradNode) -> [GradNode] {
        var order: [GradNode] = []
        var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
        // Iterative depth-first search: (node, inputs still to visit).
        var stack: [(GradNode, [GradNode])] = [(root, root.op?.inputs.compactMap(\.node) ?? [])]
        while !stack.isEmpty {
            if let next = stack[stack.count - 1].1.popLast() {
                if visited.insert(ObjectIdentifier(next)).inserted {
                    stack.append((next, next.op?.inputs.compactMap(\.node) ?? []))
                }
            } else {
                order.append(stack.removeLast().0)
            }
        }
        return order
    }
}

/// The value of `f` at `x` and its gradient with respect to `x`; `f` must return one element.
///
/// ```swift
/// let (y, dy) = valueWithGradient(at: Tensor([1, 2, 3])) { ($0 * $0).sum() }  // dy = [2, 4, 6]
/// ```
public func valueWithGradient(
    at x: Tensor, of f: (Tensor) -> Tensor
) -> (value: Tensor, gradient: Tensor) {
    let (value, gradients) = valueWithGradient(at: [x]) { f($0[0]) }
    return (value, gradients[0])
}

/// The value of `f` at `xs` and its gradient with respect to each of them.
public func valueWithGradient(
    at xs: [Tensor], of f: ([Tensor]) -> Tensor
) -> (value: Tensor, gradients: [Tensor]) {
    let leaves = xs.map { x -> Tensor in
        var leaf = x.detached()
        leaf.requiresGrad = true
        return leaf
    }
    let value = withGradients { f(leaves) }
    if value.requiresGrad { value.backward() }
    let gradients = leaves.map { $0.grad ?? Tensor.zeros($0.shape) }
    return (value.detached(), gradients)
}

/// The gradient of `f` at `x`; `f` must return one element.
public func gradient(at x: Tensor, of f: (Tensor) -> Tensor) -> Tensor {
    valueWithGradient(at: x, of: f).gradient
}
