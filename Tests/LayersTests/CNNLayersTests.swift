import Foundation
import Layers
import TensorCore
import TestSupport
import Testing

/// Values computed by PyTorch (Fixtures/make_normalization_fixtures.py).
struct NormalizationFixture: Decodable {
    let x, train_y, dx, dweight, dbias, running_mean, running_var, eval_y: [Double]
    let upsample_bilinear, adaptive_3x2, groupnorm_x, groupnorm_y, layernorm_y: [Double]

    static let shared: NormalizationFixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/normalization.json")
        return try! JSONDecoder().decode(NormalizationFixture.self, from: Data(contentsOf: url))
    }()
}

func floats(_ v: [Double]) -> [Float] { v.map(Float.init) }

@Suite struct CNNLayerTests {
    let f = NormalizationFixture.shared

    @Test func batchNormMatchesPyTorchInTrainingAndInference() {
        let bn = BatchNorm(3)
        bn.weight.value = Tensor([1, 2, 0.5])
        bn.bias.value = Tensor([0, -1, 0.5])
        let x = Tensor(floats(f.x), shape: [4, 3, 5, 5])
        let gradients = valueWithGradient(at: [x, bn.weight.value, bn.bias.value]) { xs -> Tensor in
            bn.weight.value = xs[1]
            bn.bias.value = xs[2]
            let y = bn(xs[0])
            return (y * Tensor.linspace(from: -1, to: 1, count: y.scalarCount).reshaped(to: y.shape)).sum()
        }.gradients
        expectClose(gradients[0], floats(f.dx), atol: 1e-4, rtol: 1e-4)
        expectClose(gradients[1], floats(f.dweight), atol: 1e-4, rtol: 1e-4)
        expectClose(gradients[2], floats(f.dbias), atol: 1e-4, rtol: 1e-4)
        // The running statistics saw exactly one batch.
        expectClose(bn.running_mean.value, floats(f.running_mean), atol: 1e-5)
        expectClose(bn.running_var.value, floats(f.running_var), atol: 1e-5)
        bn.weight.value = Tensor([1, 2, 0.5])
        bn.bias.value = Tensor([0, -1, 0.5])
        bn.eval()
        expectClose(bn(x), floats(f.eval_y), atol: 1e-4, rtol: 1e-4)
        #expect(bn.running_mean.isTrainable == false)
        #expect(Sequential { BatchNorm(3) }.namedParameters.map(\.name) == ["0.weight", "0.bias", "0.running_mean", "0.running_var"])
    }

    @Test func batchNormTrainingForwardMatchesPyTorch() {
        let bn = BatchNorm(3)
        bn.weight.value = Tensor([1, 2, 0.5])
        bn.bias.value = Tensor([0, -1, 0.5])
        expectClose(bn(Tensor(floats(f.x), shape: [4, 3, 5, 5])), floats(f.train_y), atol: 1e-4, rtol: 1e-4)
    }

    @Test func resamplingAndNormsMatchPyTorch() {
        let grid = Tensor.arange(to: 16).reshaped(to: [1, 1, 4, 4])
        expectClose(Upsample(scale: 2, mode: .bilinear)(grid), floats(f.upsample_bilinear), atol: 1e-5)
        expectClose(Upsample(scale: 2)(Tensor([1, 2], shape: [1, 1, 1, 2])), [1, 1, 2, 2, 1, 1, 2, 2], shape: [1, 1, 2, 4])
        let wide = Tensor.arange(to: 35).reshaped(to: [1, 1, 5, 7])
        expectClose(AdaptiveAvgPool2D(outputSize: (3, 2))(wide), floats(f.adaptive_3x2), atol: 1e-5)
        let seq = Tensor(floats(f.groupnorm_x), shape: [2, 4, 3])
        expectClose(GroupNorm(groups: 2, channels: 4)(seq), floats(f.groupnorm_y), atol: 1e-4)
        expectClose(LayerNorm([3])(seq), floats(f.layernorm_y), atol: 1e-4)
    }

    @Test func normalizationGradientsMatchFiniteDifferences() {
        let x = Random.withSeed(2) { Tensor.normal([3, 4, 2, 2]) }
        let layers: [any Layer] = [
            BatchNorm(4), LayerNorm([2, 2]), GroupNorm(groups: 2, channels: 4), Upsample(scale: 2, mode: .bilinear),
            AdaptiveAvgPool2D(outputSize: (1, 1)), GlobalPool(.average),
        ]
        for layer in layers {
            let result = gradcheck({ layer($0[0]) }, at: [x])
            #expect(result.passed, "\(layer): \(result)")
        }
    }

    @Test func shapesAndDescriptions() {
        #expect(Conv2D(1, 32, kernelSize: 3, padding: .same).description == "Conv2D(1 => 32, kernel: 3x3, padding: same, bias: true)")
        #expect(Conv2D(8, 8, kernelSize: 3, stride: 2, padding: .symmetric(1, 1), groups: 8, bias: false).description
            == "Conv2D(8 => 8, kernel: 3x3, stride: 2x2, padding: 1x1, groups: 8, bias: false)")
        #expect(MaxPool2D(2).description == "MaxPool2D(2x2, stride: 2x2)")
        #expect(Conv2D(3, 16, kernelSize: 5, stride: 2, padding: .same)(Tensor.zeros([2, 3, 28, 28])).shape == [2, 16, 14, 14])
        #expect(Conv1D(4, 6, kernelSize: 3)(Tensor.zeros([2, 4, 10])).shape == [2, 6, 8])
        let up = ConvTranspose2D(8, 4, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), outputPadding: (1, 1))
        #expect(up(Tensor.zeros([2, 8, 7, 7])).shape == [2, 4, 14, 14])
        #expect(try! LayerRegistry.make(from: LayerRegistry.describe(up)).description == up.description)
        let dropped = Random.withSeed(3) { Dropout2D(rate: 0.5)(Tensor.ones([4, 16, 2, 2])) }
        // Whole channels are zeroed or kept together.
        for plane in dropped.reshaped(to: [64, 4]).scalars.chunked(4) { #expect(Set(plane).count == 1) }
    }

    @Test func poolingAndActivationLayersPassNaNOn() {
        // One NaN in channel 1 of image 0.
        var values = (0..<32).map { Float($0 % 7) - 3 }
        values[13] = .nan
        let x = Tensor(values, shape: [2, 2, 2, 4])
        let globalMax = GlobalPool(.max)(x).scalars
        #expect(globalMax.map(\.isNaN) == [false, true, false, false])
        #expect(GlobalPool(.average)(x).scalars.map(\.isNaN) == [false, true, false, false])
        #expect(MaxPool2D(2)(x).scalars.map(\.isNaN) == [false, false, true, false, false, false, false, false])
        let row = x.reshaped(to: [2, 2, 8])
        #expect(MaxPool1D(4)(row).scalars.map(\.isNaN) == [false, false, false, true, false, false, false, false])
        for layer in [ReLU(), LeakyReLU(), ELU(), GELU(), Sigmoid(), Tanh()] as [any Layer] {
            #expect(layer(x).scalars.map(\.isNaN) == values.map(\.isNaN), "\(layer)")
        }
    }

    @Test func cnnCheckpointsRebuildFromTheirArchitecture() throws {
        let model = Random.withSeed(1) {
            Sequential {
                Conv2D(1, 4, kernelSize: 3, padding: .same); BatchNorm(4); ReLU(); MaxPool2D(2)
                ResidualBlock(4, 8, stride: 2); GlobalPool(.average); Linear(8, 3)
            }
        }
        let copy = try model.copied()
        model.eval(); copy.eval()
        let x = Random.withSeed(2) { Tensor.normal([2, 1, 8, 8]) }
        #expect(copy(x).scalars == model(x).scalars)
        #expect(copy.description == model.description)
    }
}

extension Array {
    fileprivate func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
