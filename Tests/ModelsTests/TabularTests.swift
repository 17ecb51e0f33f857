import Datasets
import Foundation
import Layers
import TensorCore
import Testing
import Training
@testable import Models

/// A table of two numbers and a category whose label depends on all three, and a numeric target.
func syntheticTable(rows: Int, seed: UInt64) throws -> Table {
    var rng = RandomGenerator(seed: seed)
    let a = Tensor.normal([rows], using: &rng).scalars, b = Tensor.normal([rows], using: &rng).scalars
    let noise = Tensor.normal([rows], using: &rng).scalars
    var lines = ["a,b,shape,constant,kind,amount"]
    for i in 0..<rows {
        let shape = ["round", "square", "long"][i % 3]
        let score = a[i] + 0.5 * b[i] + (shape == "round" ? 1 : shape == "long" ? -1 : 0)
        lines.append("\(a[i]),\(b[i]),\(shape),4,\(score > 0 ? "yes" : "no"),\(3 * a[i] - 2 * b[i] + 10 + 0.1 * noise[i])")
    }
    return try Table.parse(lines.joined(separator: "\n"), source: "synthetic.csv")
}

@Suite struct TabularTests {
    @Test func classifiesATableAndWarnsOfTheConstantColumn() throws {
        let (train, test) = try syntheticTable(rows: 400, seed: 1).stratifiedSplit(on: "kind", testFraction: 0.25, seed: 0)
        var warnings: [String] = []
        var recipe = Tabular.Recipe()
        recipe.epochs = 40
        let result = try Tabular.train(train, label: "kind", features: ["a", "b", "shape", "constant"], recipe: recipe, test: test, seed: 2) {
            warnings.append($0)
        }
        #expect(warnings == ["column 'constant' has the same value in every training row; it carries no information (it is centered to 0)"])
        #expect(result.testMetrics["test_accuracy"]! > 0.9)
        #expect(result.report?.classes.map(\.name) == ["no", "yes"])
        #expect(result.model.classNames == ["no", "yes"])
        // The same seed, the same weights bit for bit; another seed, others.
        let again = try Tabular.train(train, label: "kind", features: ["a", "b", "shape", "constant"], recipe: recipe, seed: 2)
        #expect(again.model.network.parameters.map(\.value.scalars) == result.model.network.parameters.map(\.value.scalars))
        let other = try Tabular.train(train, label: "kind", features: ["a", "b", "shape", "constant"], recipe: recipe, seed: 3)
        #expect(other.model.network.parameters.map(\.value.scalars) != result.model.network.parameters.map(\.value.scalars))
    }

    @Test func regressesInTheLabelsUnitsFromTheRidgeStart() throws {
        let (train, test) = try syntheticTable(rows: 300, seed: 4).randomSplit(testFraction: 0.25, seed: 0)
        let result = try Tabular.train(train, label: "amount", features: ["a", "b"], test: test, seed: 0)
        #expect(result.testMetrics["test_r2"]! > 0.99)
        #expect(result.testMetrics["test_mae"]! < 0.2)
        #expect(result.report == nil)
        let predicted = try result.model.predict(test).scalars
        guard case .numeric(let truth) = try test.column("amount") else { Issue.record("amount is numeric"); return }
        #expect(zip(predicted, truth).allSatisfy { Swift.abs($0 - $1!) < 1 })
    }

    @Test func theRidgeSolutionIsScikitLearns() {
        // scikit-learn's Ridge(alpha=1, fit_intercept=False).fit(x, y).coef_: [0.125, 0.375].
        let x = Tensor([[-1, -2], [0, 1], [1, 1]]), y = Tensor([[-1], [0.5], [0.5]])
        let w = Tabular.ridgeSolution(x, y, alpha: 1)!
        #expect(Swift.abs(w[0] - 0.125) < 1e-6 && Swift.abs(w[1] - 0.375) < 1e-6)
    }

    @Test func crossValidationScoresEachFold() throws {
        let table = try syntheticTable(rows: 150, seed: 5)
        var lines: [String] = []
        var recipe = Tabular.Recipe()
        recipe.epochs = 30
        let cv = try Tabular.crossValidate(table, label: "kind", features: ["a", "b", "shape"], folds: 3, recipe: recipe,
                                           progress: { lines.append($0) })
        #expect(cv.metric == "accuracy" && cv.scores.count == 3 && lines.count == 3)
        #expect(cv.mean > 0.8 && cv.standardDeviation < 0.2)
        #expect(lines[0].hasPrefix("fold 1/3: accuracy "))
    }

    @Test func badSettingsAndLabelsAreClearErrors() throws {
        let table = try syntheticTable(rows: 30, seed: 6)
        var recipe = Tabular.Recipe()
        recipe.hidden = [0]
        #expect(throws: TableError("--hidden must be 1 to 64 widths in 1...65536, like 64,32; got 0")) {
            try Tabular.train(table, label: "kind", recipe: recipe)
        }
        #expect(throws: TableError.self) { try Tabular.train(table, label: "species") }
        let model = Model(Linear(2, 2))
        #expect(throws: TableError("this checkpoint was not trained on a table")) { try Tabular.evaluate(model, on: table) }
    }
}
