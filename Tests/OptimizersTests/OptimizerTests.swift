import Foundation
import Layers
import Optimizers
import TensorCore
import Testing

/// Three steps of each optimizer, computed by torch.optim in double precision
/// (Fixtures/make_optimizer_fixtures.py).
struct Fixture: Decodable {
    let w0: [Float], c: [Float], d: [Float]
    let steps: [String: [[Float]]]

    static let shared: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/optimizer_steps.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()
}

let optimizerConfigs: [(String, @Sendable ([Parameter]) -> any Optimizer)] = [
    ("sgd", { SGD($0, learningRate: 0.1) }),
    ("sgd_momentum", { SGD($0, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01) }),
    ("sgd_nesterov", { SGD($0, learningRate: 0.1, momentum: 0.9, nesterov: true) }),
    ("adam", { Adam($0, learningRate: 0.1) }),
    ("adam_amsgrad_l2", { Adam($0, learningRate: 0.1, weightDecay: 0.1, amsgrad: true) }),
    ("adamw", { AdamW($0, learningRate: 0.1, weightDecay: 0.1) }),
    ("adagrad", { Adagrad($0, learningRate: 0.1) }),
    ("rmsprop", { RMSprop($0, learningRate: 0.01) }),
    ("rmsprop_momentum_centered", { RMSprop($0, learningRate: 0.01, momentum: 0.9, centered: true) }),
]

@Test("optimizer steps match torch.optim", arguments: optimizerConfigs.map(\.0))
func optimizerMatchesPyTorch(_ name: String) throws {
    let fixture = Fixture.shared
    let expected = try #require(fixture.steps[name])
    let make = try #require(optimizerConfigs.first { $0.0 == name }?.1)
    let w = Parameter(Tensor(fixture.w0))
    let optimizer = make([w])
    for step in expected {
        optimizer.zeroGrad()
        let loss = (Tensor(fixture.c) * w.value.squared()).sum() + (Tensor(fixture.d) * w.value).sum()
        loss.backward()
        optimizer.step()
        for (got, want) in zip(w.value.scalars, step) {
            #expect(Swift.abs(got - want) <= 1e-5 + 1e-4 * Swift.abs(want), "\(name): \(w.value.scalars) vs \(step)")
        }
    }
}

@Test func frozenParametersAndMissingGradientsAreSkipped() {
    let frozen = Parameter(Tensor([1, 2]), trainable: false)
    let unused = Parameter(Tensor([3]))
    let used = Parameter(Tensor([4]))
    let optimizer = SGD([frozen, unused, used], learningRate: 0.5)
    (used.value * 2).sum().backward()
    optimizer.step()
    #expect(frozen.value.scalars == [1, 2])
    #expect(unused.value.scalars == [3])
    #expect(used.value.scalars == [3])
    optimizer.zeroGrad()
    #expect(used.grad == nil)
}

/// Weights are updated where they live: after the first step (which creates the state), no step
/// copies the parameter's storage, which a shared buffer on the way to the kernel would force.
@Test("updates write the weights in place", arguments: optimizerConfigs.map(\.0))
func updatesWriteTheWeightsInPlace(_ name: String) throws {
    let make = try #require(optimizerConfigs.first { $0.0 == name }?.1)
    let w = Parameter(Tensor([0.5, -1, 2]))
    let optimizer = make([w])
    var addresses: [UnsafeRawPointer?] = []
    for _ in 0..<3 {
        optimizer.zeroGrad()
        (w.value.squared()).sum().backward()
        optimizer.step()
        addresses.append(w.value.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) })
    }
    #expect(Set(addresses).count == 1, "\(name): the weights moved between steps")
}
