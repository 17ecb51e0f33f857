import Datasets
@testable import Distributed
import Foundation
import Layers
import Optimizers
import TensorCore
import Testing
import Training

@Suite struct ProbeTests {
    @Test func probeGradients() {
        var g = RandomGenerator(seed: 1)
        let x = Tensor.uniform([128, 784], using: &g)
        let y = Tensor(integers: (0..<128).map { $0 % 10 })
        @Sendable func make() -> Sequential { Random.withSeed(3) { Sequential { Linear(784, 256); ReLU(); Linear(256, 128); ReLU(); Linear(128, 10) } } }
        let single = make()
        crossEntropy(logits: single(x), labels: y).backward()
        let parts = onRanks(2) { c -> [[Float]] in
            let net = make()
            let ddp = DistributedDataParallel(net, communicator: c)
            let r = c.rank * 64..<(c.rank + 1) * 64
            ddp.backward(crossEntropy(logits: net(x[r]), labels: y[r]), examples: 64)
            return net.parameters.map { $0.grad!.scalars }
        }
        for (i, p) in single.parameters.enumerated() {
            let d = zip(p.grad!.scalars, parts[0][i]).map { abs($0 - $1) }.max()!
            print("PROBE", i, p.shape, d)
        }
        // forward rows
        let full = withoutGradients { single(x) }.scalars
        let half = withoutGradients { single(x[64..<128]) }.scalars
        print("PROBE forward rows", zip(full[640...], half).map { abs($0 - $1) }.max()!)
    }
}

@Suite struct GemmProbe {
    @Test(arguments: [(784, 256), (128, 10), (256, 128)]) func rows(_ k: Int, _ n: Int) {
        var g = RandomGenerator(seed: 1)
        let x = Tensor.uniform([128, k], using: &g), w = Tensor.uniform([n, k], using: &g)
        for tb in [true, false] {
            let ww = tb ? w : w.permuted([1, 0])
            let full = matmul(x, ww, transposeA: false, transposeB: tb).scalars
            for m in [64, 32, 16, 8] {
                let part = matmul(x[(128 - m)..<128], ww, transposeA: false, transposeB: tb).scalars
                let d = zip(full[((128 - m) * n)...], part).map { abs($0 - $1) }.max()!
                print("GEMMPROBE k \(k) n \(n) tB \(tb) m \(m): \(d)")
            }
        }
    }
}
