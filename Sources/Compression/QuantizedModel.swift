import Foundation
import Interop
import Layers
import TensorCore
import Training

extension Quantization {
    /// A network that `quantize` cannot take.
    public struct Unsupported: Error, CustomStringConvertible {
        public let description: String
    }

    /// `network` (a `Sequential`) for int8 inference: each `Linear` becomes a `QuantizedLinear`
    /// and each `Conv2D` (without groups or activation, with at least `smallestConvolution` weights
    /// per output) a `QuantizedConv2D` (a `BatchNorm` right
    /// after it folded into its weights first), taking the `ReLU` after it into its output pass;
    /// dropout goes, other layers stay in float32. Static mode fixes each quantized layer's input range from `calibration` (images
    /// run through the float network in batches of 500: PyTorch's `MinMaxObserver`); dynamic mode
    /// measures it on every batch. `network` is not changed.
    public static func quantize(_ network: any Layer, mode: Mode, calibration: Tensor? = nil) throws -> Sequential {
        guard let sequential = network as? Sequential else {
            throw Unsupported(description: "quantization needs a Sequential network, got \(type(of: network))")
        }
        let layers = (0..<sequential.count).map { sequential[$0] }.filter { !($0 is Dropout) }
        guard layers.contains(where: { $0 is Linear || $0 is Conv2D }) else {
            throw Unsupported(description: "the network has no Linear or Conv2D layer to quantize")
        }
        var ranges: [Int: ActivationRange] = [:]
        if mode == .static {
            guard let calibration, calibration.rank >= 1, calibration.shape[0] > 0 else {
                throw Unsupported(description: "static quantization needs calibration images")
            }
            var seen: [Int: (Float, Float)] = [:]
            let wasTraining = sequential.allLayers.contains { ($0 as? any ModeDependentLayer)?.isTraining == true }
            sequential.eval()
            defer { if wasTraining { sequential.train() } }
            withoutGradients {
                for start in stride(from: 0, to: calibration.shape[0], by: 500) {
                    var x = calibration[start..<Swift.min(start + 500, calibration.shape[0])]
                    for (i, layer) in layers.enumerated() {
                        if layer is Linear || layer is Conv2D {
                            let (low, high) = extremes(of: x)
                            let before = seen[i] ?? (low, high)
                            seen[i] = (Swift.min(before.0, low), Swift.max(before.1, high))
                        }
                        x = layer(x)
                    }
                }
            }
            for (i, e) in seen { ranges[i] = ActivationRange(minimum: e.0, maximum: e.1) }
        }
        var result: [any Layer] = []
        var i = 0
        while i < layers.count {
            if let linear = layers[i] as? Linear {
                let relu = i + 1 < layers.count && layers[i + 1] is ReLU
                result.append(QuantizedLinear(linear, mode: mode, inputRange: ranges[i], fusedReLU: relu))
                i += relu ? 2 : 1
            } else if let conv = layers[i] as? Conv2D, conv.groups == 1, conv.activation == .linear,
                      conv.inChannels * conv.kernelSize.0 * conv.kernelSize.1 >= Quantization.smallestConvolution {
                // A batch norm right after is folded into the weights; a ReLU after either is fused.
                let bn = i + 1 < layers.count ? layers[i + 1] as? BatchNorm : nil
                let next = i + (bn == nil ? 1 : 2)
                let relu = next < layers.count && layers[next] is ReLU
                result.append(QuantizedConv2D(conv, batchNorm: bn, mode: mode, inputRange: ranges[i], fusedReLU: relu))
                i = next + (relu ? 1 : 0)
            } else {
                result.append(layers[i])
                i += 1
            }
        }
        let quantized = Sequential(result)
        quantized.eval()
        return quantized
    }
}

/// Saving and loading quantized networks: a safetensors file whose metadata `quantized_layers`
/// lists the layers in order (a `QuantizedLinear`'s sizes, mode, fused ReLU and input range; any
/// other layer's architecture description), with each layer's tensors under its index: a
/// `QuantizedLinear`'s `i.weight` (I8; a `QuantizedConv2D`'s as `[out, KH * KW * C]`, channels
/// last), `i.weight_scale` and `i.bias` (F32), a float layer's
/// parameters as a checkpoint names them (`i.weight`, ...). Everything is checked on loading.
public enum QuantizedCheckpoint {
    static let key = "quantized_layers"

    /// Whether `path` holds a quantized network (reads only the header).
    public static func isQuantized(_ path: String) -> Bool {
        (try? SafeTensors.load(path).metadata[key]) != nil
    }

    public static func save(_ network: Sequential, to path: String, metadata: [String: String] = [:]) throws {
        var tensors: [String: Tensor] = [:]
        var layers: [[String: any Sendable]] = []
        for i in 0..<network.count {
            func matrix(_ q: QuantizedLinear) -> [String: any Sendable] {
                var d: [String: any Sendable] = ["type": "QuantizedLinear", "inFeatures": q.inFeatures, "outFeatures": q.outFeatures,
                                                 "mode": q.mode.rawValue, "relu": q.fusedReLU, "bias": q.bias != nil]
                if let r = q.inputRange { (d["inputScale"], d["inputZeroPoint"]) = (Double(r.scale), r.zeroPoint) }
                tensors["\(i).weight"] = q.weight
                tensors["\(i).weight_scale"] = Tensor(q.weightScales)
                if let bias = q.bias { tensors["\(i).bias"] = Tensor(bias) }
                return d
            }
            if let q = network[i] as? QuantizedLinear {
                layers.append(matrix(q))
            } else if let c = network[i] as? QuantizedConv2D {
                var d = matrix(c.matrix)
                d["type"] = "QuantizedConv2D"
                d["inChannels"] = c.inChannels
                (d["kernel"], d["stride"], d["dilation"]) = ([c.kernelSize.0, c.kernelSize.1], [c.stride.0, c.stride.1], [c.dilation.0, c.dilation.1])
                switch c.padding {
                case .valid: d["padding"] = "valid"
                case .same: d["padding"] = "same"
                case let .explicit(top, bottom, left, right): d["padding"] = [top, bottom, left, right]
                }
                layers.append(d)
            } else {
                layers.append(try LayerRegistry.describe(network[i]))
                for (name, p) in network[i].namedParameters { tensors["\(i).\(name)"] = p.value.detached() }
            }
        }
        var meta = metadata
        meta[key] = String(decoding: try JSONSerialization.data(withJSONObject: layers, options: [.sortedKeys]), as: UTF8.self)
        try SafeTensors.save(tensors, metadata: meta, to: path)
    }

    public static func load(_ path: String) throws -> (network: Sequential, metadata: [String: String]) {
        let (tensors, metadata) = try SafeTensors.load(path)
        func fail(_ message: String) -> CompressionRun.InputError { .init("\(path): quantized network: \(message)") }
        guard let json = metadata[key], let layers = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [[String: any Sendable]] else {
            throw fail("'\(key)' is missing or not a list of layers")
        }
        var used = Set<String>()
        func tensor(_ name: String, _ dtype: DType, _ shape: Shape) throws -> Tensor {
            guard let t = tensors[name], t.dtype == dtype, t.shape == shape else {
                throw fail("'\(name)' should be \(dtype) \(shape), found \(tensors[name].map { "\($0.dtype) \($0.shape)" } ?? "nothing")")
            }
            used.insert(name)
            return t
        }
        let stored = tensors.values.reduce(0) { $0 + $1.scalarCount }
        var built: [any Layer] = []
        for (i, d) in layers.enumerated() {
            let type = d["type"] as? String
            if type == "QuantizedLinear" || type == "QuantizedConv2D" {
                guard let inputs = d["inFeatures"] as? Int, let outputs = d["outFeatures"] as? Int, inputs > 0, outputs > 0,
                      inputs <= stored, outputs <= stored,
                      let mode = (d["mode"] as? String).flatMap(Quantization.Mode.init(rawValue:)), let relu = d["relu"] as? Bool,
                      let hasBias = d["bias"] as? Bool
                else { throw fail("layer \(i): a \(type!) needs inFeatures, outFeatures, mode, relu and bias") }
                var range: Quantization.ActivationRange?
                if mode == .static {
                    guard let scale = (d["inputScale"] as? Double).map(Float.init), scale.isFinite, scale > 0,
                          let zero = d["inputZeroPoint"] as? Int, (0...127).contains(zero)
                    else { throw fail("layer \(i): a static layer needs inputScale > 0 and inputZeroPoint in 0...127") }
                    range = Quantization.ActivationRange(scale: scale, zeroPoint: zero)
                }
                let weight = try tensor("\(i).weight", .int8, [outputs, inputs])
                let scales = try tensor("\(i).weight_scale", .float32, [outputs]).scalars
                guard scales.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw fail("layer \(i): weight scales must be finite and > 0") }
                let bias = hasBias ? try tensor("\(i).bias", .float32, [outputs]).scalars : nil
                guard bias?.allSatisfy(\.isFinite) ?? true else { throw fail("layer \(i): the bias is not finite") }
                let matrix = QuantizedLinear(weight: weight, weightScales: scales, bias: bias, mode: mode, inputRange: range, fusedReLU: relu)
                guard type == "QuantizedConv2D" else { built.append(matrix); continue }
                func pair(_ key: String, minimum: Int) -> (Int, Int)? {
                    guard let v = d[key] as? [Int], v.count == 2, v.allSatisfy({ $0 >= minimum && $0 <= 1 << 16 }) else { return nil }
                    return (v[0], v[1])
                }
                let padding: Padding?
                switch d["padding"] {
                case let name as String: padding = name == "valid" ? .valid : name == "same" ? .same : nil
                case let amounts as [Int] where amounts.count == 4 && amounts.allSatisfy({ (0...(1 << 16)).contains($0) }):
                    padding = .explicit(top: amounts[0], bottom: amounts[1], left: amounts[2], right: amounts[3])
                default: padding = nil
                }
                guard let channels = d["inChannels"] as? Int, channels > 0, let kernel = pair("kernel", minimum: 1),
                      let stride = pair("stride", minimum: 1), let dilation = pair("dilation", minimum: 1), let padding,
                      channels * kernel.0 * kernel.1 == inputs
                else { throw fail("layer \(i): a QuantizedConv2D needs inChannels, kernel, stride, dilation and padding that fit its \(inputs) weights per output") }
                built.append(QuantizedConv2D(inChannels: channels, kernelSize: kernel, stride: stride, padding: padding, dilation: dilation, matrix: matrix))
            } else {
                let layer: any Layer
                do { layer = try LayerRegistry.make(from: d, maximumParameterElements: stored) } catch { throw fail("layer \(i): \(error)") }
                for (name, p) in layer.namedParameters { p.value = try tensor("\(i).\(name)", .float32, p.shape) }
                built.append(layer)
            }
        }
        if let extra = Set(tensors.keys).subtracting(used).sorted().first { throw fail("'\(extra)' belongs to no layer") }
        let network = Sequential(built)
        network.eval()
        return (network, metadata)
    }
}
