import Foundation
import Testing
import Datasets
import Layers
import Optimizers
import TensorCore
import TestSupport
import Training
@testable import Compression

@Suite struct StructuredPruningTests {
    /// A cnn-bn-like network whose chosen units are dead (zero weights, bias and batch-norm
    /// shift): removing them must leave every output as it was.
    @Test func removingDeadUnitsKeepsTheOutputs() throws {
        let network = Random.withSeed(3) {
            Sequential {
                Reshape([1, 8, 8])
                Conv2D(1, 4, kernelSize: 3, padding: .same)
                BatchNorm(4)
                ReLU()
                MaxPool2D(2)
                Conv2D(4, 6, kernelSize: 3, padding: .same, bias: false)
                ReLU()
                Flatten()
                Dropout(rate: 0.5)
                Linear(6 * 16, 10)
                ReLU()
                Linear(10, 3)
            }
        }
        func kill(_ parameter: Parameter?, units: [Int]) {
            guard let parameter else { return }
            var v = parameter.value.scalars
            let per = v.count / parameter.shape[0]
            for u in units { for i in (u * per)..<((u + 1) * per) { v[i] = 0 } }
            parameter.value = Tensor(v, shape: parameter.shape)
        }
        let conv1 = network[1] as! Conv2D, bn = network[2] as! BatchNorm, conv2 = network[5] as! Conv2D, dense = network[9] as! Linear
        kill(conv1.weight, units: [0, 2]); kill(conv1.bias, units: [0, 2]); kill(bn.bias, units: [0, 2]); kill(bn.running_mean, units: [0, 2])
        kill(conv2.weight, units: [1, 4, 5])
        kill(dense.weight, units: [3, 4, 5, 6, 7]); kill(dense.bias, units: [3, 4, 5, 6, 7])
        network.eval()
        let x = Random.withSeed(4) { Tensor.uniform([5, 64]) }
        let expected = network(x).scalars
        let (pruned, removed) = try StructuredPruning.prune(network, fraction: 0.5)
        #expect(removed == [.init(layer: 1, before: 4, after: 2), .init(layer: 5, before: 6, after: 3), .init(layer: 9, before: 10, after: 5)])
        #expect((pruned[1] as! Conv2D).outChannels == 2 && (pruned[2] as! BatchNorm).features == 2 && (pruned[5] as! Conv2D).inChannels == 2)
        #expect((pruned[9] as! Linear).inFeatures == 3 * 16 && (pruned[11] as! Linear).inFeatures == 5)
        expectClose(pruned(x), expected, atol: 1e-5, rtol: 1e-5)
        #expect(pruned.parameterCount() < network.parameterCount() / 2)
        // Only the convolutions: the dense layer keeps its 10 units.
        let (convOnly, _) = try StructuredPruning.prune(network, fraction: 0.5, units: .convolutionChannels)
        #expect((convOnly[9] as! Linear).outFeatures == 10)
        expectClose(convOnly(x), expected, atol: 1e-5, rtol: 1e-5)
        // The original is untouched.
        #expect(conv1.outChannels == 4 && network(x).scalars == expected)
    }

    @Test func aNetworkWithNothingToPruneIsAnError() {
        #expect(throws: StructuredPruning.Unsupported.self) { try StructuredPruning.prune(Sequential { Linear(3, 2) }, fraction: 0.5) }
        #expect(throws: StructuredPruning.Unsupported.self) { try StructuredPruning.prune(Linear(3, 2), fraction: 0.5) }
    }
}

@Suite struct DistillationTests {
    @Test func theLossIsHintonsFormula() {
        let student = Tensor([[1, 2, 0.5], [0, -1, 2]]), teacherLogits = Tensor([[3, 1, 0], [0, 0, 4]])
        let targets = Tensor.concat([Tensor([[1], [2]]), teacherLogits], along: 1)
        let (t, a): (Float, Float) = (2, 0.7)
        func logSoftmaxRow(_ r: [Float]) -> [Float] { let m = r.max()!, s = r.map { exp($0 - m) }.reduce(0, +); return r.map { $0 - m - log(s) } }
        var expected: [Float] = []
        for (i, label) in [1, 2].enumerated() {
            let s = Array(student.scalars[(3 * i)..<(3 * i + 3)]), te = Array(teacherLogits.scalars[(3 * i)..<(3 * i + 3)])
            let p = logSoftmaxRow(te.map { $0 / t }), q = logSoftmaxRow(s.map { $0 / t })
            let kl = zip(p, q).reduce(Float(0)) { $0 + exp($1.0) * ($1.0 - $1.1) }
            expected.append(a * t * t * kl - (1 - a) * logSoftmaxRow(s)[label])
        }
        expectClose(Distillation.terms(student, targets, temperature: t, alpha: a), expected, atol: 1e-6, rtol: 1e-5)
        let loss = Distillation.loss(temperature: t, alpha: a)
        expectClose(loss(student, targets), [expected.reduce(0, +) / 2], atol: 1e-6, rtol: 1e-5)
        // alpha 0, and plain labels, are the cross-entropy.
        let ce = crossEntropy(logits: student, labels: Tensor(integers: [1, 2]), reduction: .none).scalars
        expectClose(Distillation.terms(student, targets, temperature: t, alpha: 0), ce, atol: 1e-7, rtol: 1e-6)
        expectClose(loss(student, Tensor(integers: [1, 2])), [ce.reduce(0, +) / 2], atol: 1e-6, rtol: 1e-6)
    }

    @Test func theLossHasTheRightGradient() {
        let targets = Tensor.concat([Tensor([[0], [2], [1]]), Random.withSeed(8) { Tensor.normal([3, 4]) }], along: 1)
        let result = gradcheck({ Distillation.terms($0[0], targets, temperature: 3, alpha: 0.6) }, at: [Random.withSeed(9) { Tensor.normal([3, 4]) }])
        #expect(result.passed, "\(result)")
    }

    /// A student distilled from a teacher on a toy task moves toward the teacher's outputs.
    @Test func theDistillerTrainsTheStudentTowardTheTeacher() {
        let x = Random.withSeed(10) { Tensor.normal([96, 6]) }
        let labels = Tensor(integers: x.scalars.chunked(6).map { $0[0] + $0[1] > 0 ? 1 : 0 })
        let teacher = Random.withSeed(11) { Sequential { Linear(6, 2) } }
        let student = Random.withSeed(12) { Sequential { Linear(6, 2) } }
        // Softened outputs fix the logits only up to a shift per row: compare probabilities.
        let gap = { () -> Float in
            let d = softmax(student(x), along: 1) - softmax(teacher(x), along: 1)
            return (d * d).mean().scalar
        }
        let before = gap()
        let distiller = Distiller(teacher: teacher, student: student, temperature: 2, alpha: 1)
        let history = distiller.fit(x, labels, epochs: 30, batchSize: 16, optimizer: Adam(student.trainableParameters, learningRate: 2e-2),
                                    verbose: .silent)
        #expect(gap() < before / 4, "gap \(before) -> \(gap())")
        #expect(history["loss"].last! < history["loss"].first!)

        // The same through batches drawn from a dataset, the teacher labelling each as drawn.
        let online = Random.withSeed(12) { Sequential { Linear(6, 2) } }
        let onlineGap = { () -> Float in
            let d = softmax(online(x), along: 1) - softmax(teacher(x), along: 1)
            return (d * d).mean().scalar
        }
        let losses = Distiller(teacher: teacher, student: online, temperature: 2, alpha: 1)
            .fit(TensorDataset(x, labels), epochs: 30, batchSize: 16, optimizer: Adam(online.trainableParameters, learningRate: 2e-2), seed: 3)
        #expect(onlineGap() < before / 4 && losses.last! < losses.first!, "gap \(before) -> \(onlineGap()), losses \(losses)")
    }
}

extension Array {
    func chunked(_ size: Int) -> [[Element]] { stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) } }
}
