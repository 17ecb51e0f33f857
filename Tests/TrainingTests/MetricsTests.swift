import TensorCore
import Testing
import Training

@Suite struct MetricsTests {
    // predicted vs actual over 3 classes; values checked by hand (and against scikit-learn).
    let predicted = [0, 1, 1, 2, 2, 2, 0, 1]
    let actual = [0, 1, 2, 2, 2, 1, 1, 1]

    @Test func confusionMatrix() {
        #expect(Metrics.confusionMatrix(predicted: predicted, actual: actual, classCount: 3) == [
            [1, 0, 0],
            [1, 2, 1],
            [0, 1, 2],
        ])
    }

    @Test func precisionRecallF1() {
        let m = Metrics.confusionMatrix(predicted: predicted, actual: actual, classCount: 3)
        // Per class: precision 1/2, 2/3, 2/3; recall 1, 1/2, 2/3.
        let macro = Metrics.precisionRecallF1(m, average: .macro)
        #expect(Swift.abs(macro.precision - (0.5 + 2.0 / 3 + 2.0 / 3) / 3) < 1e-6)
        #expect(Swift.abs(macro.recall - (1 + 0.5 + 2.0 / 3) / 3) < 1e-6)
        let f1s: [Float] = [2 * 0.5 / 1.5, 2 * (2.0 / 3 * 0.5) / (2.0 / 3 + 0.5), 2.0 / 3]
        #expect(Swift.abs(macro.f1 - f1s.reduce(0, +) / 3) < 1e-6)
        let micro = Metrics.precisionRecallF1(m, average: .micro)
        #expect(micro.precision == 5.0 / 8 && micro.recall == 5.0 / 8 && Swift.abs(micro.f1 - 5.0 / 8) < 1e-6)
    }

    @Test func rocAndAUC() {
        // scikit-learn: roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75
        #expect(Metrics.auc(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1]) == 0.75)
        let roc = Metrics.rocCurve(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1])
        #expect(roc.falsePositiveRates == [0, 0, 0.5, 0.5, 1])
        #expect(roc.truePositiveRates == [0, 0.5, 0.5, 1, 1])
        #expect(Metrics.auc(scores: [1, 2, 3, 4], labels: [0, 0, 1, 1]) == 1)
        // Tied scores make one diagonal step.
        #expect(Metrics.auc(scores: [0.5, 0.5], labels: [0, 1]) == 0.5)
    }

    @Test func streamingMetricsMatchTheBatchFormulas() {
        let logits = Tensor([[2, 1, 0], [0, 3, 1], [1, 0, 2], [0, 2, 1]])
        let labels = Tensor(integers: [0, 2, 2, 1])
        let accuracy = Accuracy()
        accuracy.update(outputs: logits[0..<2], targets: labels[0..<2])
        accuracy.update(outputs: logits[2..<4], targets: labels[2..<4])
        #expect(accuracy.result() == 0.75)
        accuracy.reset()
        #expect(accuracy.result() == 0)
        let top2 = TopKAccuracy(k: 2)
        top2.update(outputs: logits, targets: labels)
        #expect(top2.result() == 1)
        let f1 = ClassificationScore(.f1, classCount: 3)
        f1.update(outputs: logits, targets: labels)
        #expect(f1.confusionMatrix == [[1, 0, 0], [0, 1, 0], [0, 1, 1]])
        let mse = RegressionError(.mse), mae = RegressionError(.mae)
        mse.update(outputs: Tensor([1, 2]), targets: Tensor([0, 4]))
        mae.update(outputs: Tensor([1, 2]), targets: Tensor([0, 4]))
        #expect(mse.result() == 2.5 && mae.result() == 1.5)
    }
}
