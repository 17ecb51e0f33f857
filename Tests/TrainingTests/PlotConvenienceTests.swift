import Interop
import TensorCore
import Testing
@testable import Training

/// Training's feeds into Interop's plots: a History's curves, a confusion matrix from
/// predictions, ROC curves one class against the rest.
@Suite struct PlotConvenienceTests {
    @Test func historyBecomesCurves() throws {
        var history = History()
        history.append(["loss": 1.0, "val_loss": 1.5])
        history.append(["loss": 0.5, "val_loss": 0.75, "accuracy": 0.9])
        let curves = try history.curves()
        #expect(curves.epochs == [1, 2])
        #expect(curves.metrics.map(\.name) == ["loss", "val_loss", "accuracy"])
        #expect(curves.metrics[2].values[0].isNaN && curves.metrics[2].values[1] == Double(Float(0.9)))
        #expect(curves.groups == [["loss", "val_loss"], ["accuracy"]])
        let canvas = try history.plot(width: 500, height: 300)
        #expect(canvas.width == 500 && canvas.height == 300)
        #expect(throws: PlotError.self) { try History().curves() }
    }

    @Test func confusionMatrixFromPredictions() throws {
        let chart = try ConfusionMatrixChart(predicted: [0, 1, 1, 2, 2, 2, 0, 1], actual: [0, 1, 2, 2, 2, 1, 1, 1], classNames: ["a", "b", "c"])
        #expect(chart.counts == [[1, 0, 0], [1, 2, 1], [0, 1, 2]])
        #expect(throws: PlotError.self) { try ConfusionMatrixChart(predicted: [0, 3], actual: [0, 1], classNames: ["a", "b"]) }
        #expect(throws: PlotError.self) { try ConfusionMatrixChart(predicted: [0], actual: [0, 1], classNames: ["a", "b"]) }
    }

    @Test func rocOneAgainstTheRest() throws {
        // Class 0's scores rank 0.9 (class 0), 0.8 (class 1), 0.7 (class 0), 0.6 (class 2): AUC 0.75.
        // Class 1's one example scores 0.1, above two of the three others (0.05, 0.0; not 0.2):
        // AUC 2/3. Class 2's example scores highest: AUC 1.
        let scores = Tensor([[0.9, 0.05, 0.05], [0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.6, 0.0, 0.4]].map { $0.map(Float.init) })
        let curves = try ROCChart.oneVsRest(scores: scores, labels: [0, 1, 0, 2], classNames: ["a", "b", "c"])
        #expect(curves.map(\.name) == ["a", "b", "c"])
        #expect(abs(curves[0].area - 0.75) < 1e-9)
        #expect(abs(curves[1].area - 2.0 / 3) < 1e-6)
        #expect(abs(curves[2].area - 1) < 1e-9)
        for (c, curve) in curves.enumerated() {
            let column = (0..<4).map { scores.scalars[$0 * 3 + c] }
            #expect(abs(curve.area - Double(Metrics.auc(scores: column, labels: [0, 1, 0, 2].map { $0 == c ? 1 : 0 }))) < 1e-6)
        }
        #expect(throws: PlotError.self) { try ROCChart.oneVsRest(scores: scores, labels: [0, 1, 0], classNames: ["a", "b", "c"]) }
        #expect(throws: PlotError.self) { try ROCChart.oneVsRest(scores: scores, labels: [0, 0, 0, 0], classNames: ["a", "b", "c"]) }
    }
}
