import Foundation
import Testing
import Interop
import Layers
import TensorCore
import TestSupport
import Training
@testable import Compression

@Suite struct QuantizationTests {
    /// The activation and output passes give the same bits on every path the processor has.
    @Test func quantizeAndDequantizeAreExactOnEveryPath() {
        var rng = RandomGenerator(seed: 2)
        var values = (0..<1003).map { _ in Float(rng.nextNormalPair().0) * 3 }
        values += [.nan, .infinity, -.infinity, 1e30, -1e30, 0.5, 1.5, 2.5]   // ties round to even
        let x = Tensor(values, shape: [values.count])
        let codes = quantizedMatmulPaths.map { quantizeActivations(x, scale: 0.05, zeroPoint: 60, path: $0).integers }
        #expect(codes.allSatisfy { $0 == codes[0] })
        let tail = Array(codes[0].suffix(8))
        #expect(tail == [0, 127, 0, 127, 0, 70, 90, 110])
        #expect(codes[0].allSatisfy { (0...127).contains($0) })
        let acc = Tensor(integers: (0..<(7 * 13)).map { _ in Int(rng.next() % 20_001) - 10_000 }, shape: [7, 13], dtype: .int32)
        let scales = (0..<13).map { Float($0 + 1) * 1e-3 }, bias = (0..<13).map { Float($0) - 6 }, corrections = (0..<13).map { Int32($0 * 37) }
        for relu in [false, true] {
            let outputs = quantizedMatmulPaths.map { dequantizeProduct(acc, scales: scales, bias: bias, corrections: corrections, relu: relu, path: $0).scalars }
            #expect(outputs.allSatisfy { $0 == outputs[0] })
            let a = acc.integers
            let expected = (0..<(7 * 13)).map { i -> Float in
                let v = Float(Int32(a[i]) - corrections[i % 13]).addingProduct(0, 0) * scales[i % 13] + bias[i % 13]
                return relu ? max(v, 0) : v
            }
            expectClose(Tensor(outputs[0]), expected, atol: 1e-5, rtol: 1e-6)
        }
    }

    @Test func weightsArePerChannelSymmetric() {
        let w = Tensor([[0.5, -1, 0.25], [0, 0, 0], [3, 1.5, -3]])
        let (codes, scales) = Quantization.quantizeWeight(w)
        #expect(codes.integers == [64, -127, 32, 0, 0, 0, 127, 64, -127])
        #expect(scales == [1 / 127, 1, 3 / 127])
        let range = Quantization.ActivationRange(minimum: -1, maximum: 3)
        #expect(range.zeroPoint == 32 && abs(range.scale - 4 / 127) < 1e-7)
        #expect(Quantization.ActivationRange(minimum: 0.2, maximum: 0.9).zeroPoint == 0)
    }

    /// A quantized mlp stays close to the float one, in both modes, and survives saving.
    @Test func aQuantizedNetworkFollowsTheFloatOneAndSavesAndLoads() throws {
        let network = Random.withSeed(4) { Sequential { Linear(20, 32); ReLU(); Dropout(rate: 0.5); Linear(32, 16); ReLU(); Linear(16, 4) } }
        network.eval()
        let x = Random.withSeed(5) { Tensor.uniform([64, 20]) }
        let expected = network(x)
        let spread = expected.scalars.map(abs).max()!
        for mode in Quantization.Mode.allCases {
            let q = try Quantization.quantize(network, mode: mode, calibration: x)
            #expect(q.count == 3 && (0..<3).allSatisfy { q[$0] is QuantizedLinear })
            #expect((q[0] as! QuantizedLinear).fusedReLU && !(q[2] as! QuantizedLinear).fusedReLU)
            let y = q(x)
            let worst = zip(y.scalars, expected.scalars).map { abs($0 - $1) }.max()!
            #expect(worst < 0.03 * spread, "\(mode): worst difference \(worst) of \(spread)")
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("q-\(UUID()).safetensors").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try QuantizedCheckpoint.save(q, to: path, metadata: ["note": "x"])
            #expect(QuantizedCheckpoint.isQuantized(path))
            let (loaded, metadata) = try QuantizedCheckpoint.load(path)
            #expect(metadata["note"] == "x")
            #expect(loaded(x).scalars == y.scalars)
            // The file stores int8 weights: a quarter of the float bytes, plus scales and biases.
            let stored = try SafeTensors.load(path).tensors
            #expect(["0.weight", "1.weight", "2.weight"].allSatisfy { stored[$0]?.dtype == .int8 })
            let bytes = stored.values.reduce(0) { $0 + $1.scalarCount * $1.dtype.byteCount }
            #expect(bytes < network.parameterCount() * 4 * 4 / 10)
        }
        #expect(throws: Quantization.Unsupported.self) { try Quantization.quantize(network, mode: .static) }
        #expect(throws: Quantization.Unsupported.self) { try Quantization.quantize(Sequential { ReLU() }, mode: .dynamic) }
    }

    /// Convolutions (batch norm folded in, padding at the zero point of inputs that go negative,
    /// strides) follow the float network, and survive saving.
    @Test func aQuantizedConvolutionalNetworkFollowsTheFloatOne() throws {
        let network = Random.withSeed(7) {
            Sequential {
                Reshape([4, 8, 8])
                Conv2D(4, 4, kernelSize: 3, padding: .same, bias: false)
                BatchNorm(4)
                ReLU()
                MaxPool2D(2)
                Conv2D(4, 6, kernelSize: 3, stride: 2, padding: .symmetric(1, 1))
                Flatten()
                Linear(6 * 2 * 2, 3)
            }
        }
        // Batch norm statistics that are not the identity, so folding matters.
        let bn = network[2] as! BatchNorm
        (bn.running_mean.value, bn.running_var.value) = (Tensor([0.1, -0.2, 0.3, 0]), Tensor([0.5, 2, 1, 0.25]))
        (bn.weight.value, bn.bias.value) = (Tensor([1.5, 0.5, -1, 2]), Tensor([0.1, 0.2, -0.3, 0]))
        network.eval()
        let x = Random.withSeed(8) { Tensor.uniform([16, 256], low: -1, high: 1) }
        let expected = network(x)
        let spread = expected.scalars.map(abs).max()!
        let q = try Quantization.quantize(network, mode: .static, calibration: x)
        #expect(q[1] is QuantizedConv2D && q[3] is QuantizedConv2D && q.count == 6, "\(q)")
        // A convolution of fewer than 32 weights per output stays in float32.
        let small = try Quantization.quantize(Sequential { Reshape([1, 4, 4]); Conv2D(1, 2, kernelSize: 3); Flatten(); Linear(8, 2) }, mode: .dynamic)
        #expect(small[1] is Conv2D && small[3] is QuantizedLinear)
        let y = q(x)
        let worst = zip(y.scalars, expected.scalars).map { abs($0 - $1) }.max()!
        #expect(worst < 0.04 * spread, "worst difference \(worst) of \(spread)")
        #expect(try q.checkedOutputShape(for: [16, 256]) == [16, 3])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("qc-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try QuantizedCheckpoint.save(q, to: path)
        #expect(try QuantizedCheckpoint.load(path).network(x).scalars == y.scalars)
    }

    @Test func aDamagedQuantizedFileIsAnErrorNamingWhatIsWrong() throws {
        let q = try Quantization.quantize(Random.withSeed(6) { Sequential { Linear(4, 3) } }, mode: .dynamic)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qd-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try QuantizedCheckpoint.save(q, to: dir + "/good.safetensors")
        var (tensors, metadata) = try SafeTensors.load(dir + "/good.safetensors")
        func reason(_ tensors: [String: Tensor], _ metadata: [String: String]) throws -> String {
            try SafeTensors.save(tensors, metadata: metadata, to: dir + "/bad.safetensors")
            do { _ = try QuantizedCheckpoint.load(dir + "/bad.safetensors"); return "" } catch { return "\(error)" }
        }
        tensors["0.weight_scale"] = Tensor([1, 0, 1])
        #expect(try reason(tensors, metadata).hasSuffix("layer 0: weight scales must be finite and > 0"))
        tensors["0.weight_scale"] = Tensor([1, 1])
        #expect(try reason(tensors, metadata).contains("'0.weight_scale' should be float32 [3], found float32 [2]"))
        tensors["0.weight_scale"] = Tensor([1, 1, 1])
        tensors["7.extra"] = Tensor([1])
        #expect(try reason(tensors, metadata).hasSuffix("'7.extra' belongs to no layer"))
        tensors["7.extra"] = nil
        metadata["quantized_layers"] = #"[{"type":"QuantizedLinear","inFeatures":4,"outFeatures":3,"mode":"static","relu":false,"bias":true}]"#
        #expect(try reason(tensors, metadata).hasSuffix("a static layer needs inputScale > 0 and inputZeroPoint in 0...127"))
        metadata["quantized_layers"] = "{}"
        #expect(try reason(tensors, metadata).hasSuffix("'quantized_layers' is missing or not a list of layers"))
    }
}
