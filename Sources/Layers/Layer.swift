import TensorCore

/// A building block of a network: a function of one tensor holding `Parameter`s and sub-layers.
///
/// Layers are classes so that parameters are shared by reference (with optimizers, target
/// networks, GAN pairs) and found by reflection: any stored property that is a `Parameter`, a
/// `Layer` or an array of layers is discovered and named by its path (`0.weight`,
/// `encoder.layers.1.bias`), the names PyTorch's `state_dict` uses.
///
/// ```swift
/// final class TwoLayer: Layer {
///     let hidden = Linear(784, 128)
///     let output = Linear(128, 10)
///     func callAsFunction(_ x: Tensor) -> Tensor { output(relu(hidden(x))) }
///     var description: String { "TwoLayer" }
/// }
/// ```
public protocol Layer: AnyObject, CustomStringConvertible {
    /// Applies the layer.
    func callAsFunction(_ input: Tensor) -> Tensor

    /// The directly held sub-layers, by name. Found by reflection unless a layer says otherwise.
    var namedChildren: [(name: String, layer: any Layer)] { get }

    /// The directly held parameters, by name. Found by reflection unless a layer says otherwise.
    var namedDirectParameters: [(name: String, parameter: Parameter)] { get }
}

/// A layer whose behaviour differs between training and inference (dropout, batch norm).
public protocol ModeDependentLayer: Layer {
    var isTraining: Bool { get set }
}

extension Layer {
    public var namedChildren: [(name: String, layer: any Layer)] {
        var result: [(name: String, layer: any Layer)] = []
        for child in Mirror(reflecting: self).children {
            guard let label = child.label.map(Self.propertyName) else { continue }
            if let layer = child.value as? any Layer {
                result.append((label, layer))
            } else if let layers = child.value as? [any Layer] {
                for (i, layer) in layers.enumerated() { result.append(("\(label).\(i)", layer)) }
            }
        }
        return result
    }

    public var namedDirectParameters: [(name: String, parameter: Parameter)] {
        Mirror(reflecting: self).children.compactMap { child in
            guard let label = child.label, let p = child.value as? Parameter else { return nil }
            return (Self.propertyName(label), p)
        }
    }

    /// `lazy var` storage is reported as `$__lazy_storage_$_name`.
    private static func propertyName(_ label: String) -> String {
        label.hasPrefix("$__lazy_storage_$_") ? String(label.dropFirst(18)) : label
    }

    /// Every parameter of this layer and its sub-layers, named by path, each once.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        var seen = Set<ObjectIdentifier>()
        var result: [(name: String, parameter: Parameter)] = []
        func visit(_ layer: any Layer, _ prefix: String) {
            for (name, p) in layer.namedDirectParameters where seen.insert(ObjectIdentifier(p)).inserted {
                result.append((prefix + name, p))
            }
            for (name, child) in layer.namedChildren { visit(child, prefix + name + ".") }
        }
        visit(self, "")
        return result
    }

    /// Every parameter, in `namedParameters` order.
    public var parameters: [Parameter] { namedParameters.map(\.parameter) }

    /// Every trainable parameter.
    public var trainableParameters: [Parameter] { parameters.filter(\.isTrainable) }

    /// The number of scalars in all parameters (or only the trainable ones).
    public func parameterCount(trainableOnly: Bool = false) -> Int {
        (trainableOnly ? trainableParameters : parameters).reduce(0) { $0 + $1.shape.elementCount }
    }

    /// This layer and all layers below it, depth first.
    public var allLayers: [any Layer] {
        [self] + namedChildren.flatMap { $0.layer.allLayers }
    }

    /// Puts this layer and its sub-layers in training mode (dropout active, batch statistics).
    public func train() { setTraining(true) }

    /// Puts this layer and its sub-layers in inference mode.
    public func eval() { setTraining(false) }

    private func setTraining(_ on: Bool) {
        for layer in allLayers {
            if let m = layer as? any ModeDependentLayer { m.isTraining = on }
        }
    }

    /// Makes every parameter trainable or frozen (Keras's `layer.trainable = False`, PyTorch's
    /// `requires_grad_(False)`); buffers stay untrained.
    public func setTrainable(_ trainable: Bool) {
        for p in parameters where !p.isBuffer { p.isTrainable = trainable }
    }

    /// Sets every parameter's factor on the optimizer's learning rate (see
    /// `Parameter.learningRateScale`).
    public func setLearningRateScale(_ scale: Float) {
        for p in parameters { p.learningRateScale = scale }
    }

    /// Clears the gradients of every parameter.
    public func zeroGrad() {
        for p in parameters { p.grad = nil }
    }
}
