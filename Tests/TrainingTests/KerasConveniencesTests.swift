import Datasets
import Foundation
import Interop
import Layers
import Optimizers
import TensorCore
import TestSupport
import Testing
import Training

/// The message a throwing call throws, or nil when it does not throw.
private func message(_ body: () throws -> Any) -> String? {
    do { _ = try body(); return nil } catch { return "\(error)" }
}

@Suite struct ReportAndScoreTests {
    /// scikit-learn 1.9's `classification_report(a, p, target_names=["ant", "bee", "cat"])`.
    @Test func classificationReportIsScikitLearns() {
        let p = [0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 2, 0], a = [0, 1, 1, 2, 1, 0, 2, 2, 1, 0, 2, 2]
        let report = ClassificationReport(predicted: p, actual: a, classNames: ["ant", "bee", "cat"])
        #expect(report.confusionMatrix == [[2, 1, 0], [0, 3, 1], [2, 0, 3]])
        #expect(report.classes.map(\.support) == [3, 4, 5])
        let expected: [(Double, Double, Double)] = [(0.5, 2.0 / 3, 0.5714285714285714), (0.75, 0.75, 0.75), (0.75, 0.6, 2.0 / 3)]
        for (row, (p, r, f)) in zip(report.classes, expected) {
            #expect(Swift.abs(row.precision - p) < 1e-12 && Swift.abs(row.recall - r) < 1e-12 && Swift.abs(row.f1 - f) < 1e-12)
        }
        #expect(Swift.abs(report.macroAverage.f1 - 0.6626984126984127) < 1e-12)
        #expect(Swift.abs(report.weightedAverage.precision - 0.6875) < 1e-12)
        #expect(Swift.abs(report.weightedAverage.f1 - 0.6706349206349206) < 1e-12)
        #expect(report.description == """
                          precision    recall  f1-score   support

                     ant       0.50      0.67      0.57         3
                     bee       0.75      0.75      0.75         4
                     cat       0.75      0.60      0.67         5

                accuracy                           0.67        12
               macro avg       0.67      0.67      0.66        12
            weighted avg       0.69      0.67      0.67        12
            """)
    }

    /// scikit-learn's `r2_score([3, -0.5, 2, 7, 4.25], [2.5, 0, 2, 8, 4])`.
    @Test func rSquaredIsScikitLearns() {
        let r2 = RSquared()
        r2.update(outputs: Tensor([2.5, 0, 2]), targets: Tensor([3, -0.5, 2]))
        r2.update(outputs: Tensor([8, 4]), targets: Tensor([7, 4.25]))
        #expect(Swift.abs(r2.result() - 0.9491042345276873) < 1e-6)
        r2.reset()
        r2.update(outputs: Tensor([1, 1]), targets: Tensor([1, 1]))
        #expect(r2.result() == 1)
    }

    @Test func builtInMetricsAreMadeAgainByName() {
        for name in ["accuracy", "top3_accuracy", "precision_macro", "f1_micro", "auc", "mse", "mae", "r2"] {
            #expect(builtInMetric(named: name, classCount: 4)?.name == name)
        }
        #expect(builtInMetric(named: "top0_accuracy", classCount: 4) == nil)
        #expect(builtInMetric(named: "precision_macro", classCount: nil) == nil)
        #expect(builtInMetric(named: "mystery", classCount: 4) == nil)
    }
}

@Suite struct WeightedFitTests {
    @Test func weightedLossIsTheMeanOfWeightedExampleLosses() {
        let outputs = Tensor([[2, -1, 0.5], [0, 0, 3], [1, 1, 1]]), labels = Tensor(integers: [0, 2, 1])
        let loss = Loss.crossEntropy()
        let each = crossEntropy(logits: outputs, labels: labels, reduction: .none).scalars
        #expect(loss(outputs, labels, weights: Tensor([1, 1, 1])).scalar == loss(outputs, labels).scalar)
        expectClose(loss(outputs, labels, weights: Tensor([2, 0, 1])), [(2 * each[0] + each[2]) / 3], shape: [])
        let mse = Loss.meanSquaredError
        expectClose(mse(Tensor([[1, 2], [3, 5]]), Tensor([[1, 1], [1, 1]]), weights: Tensor([1, 0.5])), [(0.5 + 0.5 * 10) / 2], shape: [])
        #expect(!Loss(name: "custom") { $0.sum() + $1.sum() }.canWeightExamples)
    }

    @Test func unitWeightsTrainExactlyAsNoWeightsAndClassWeightIsASampleWeight() {
        let (x, y) = argmaxProblem(96, seed: 4)
        func trained(_ body: (Model) -> Void) -> [[Float]] {
            let model = smallModel(seed: 5)
            Random.withSeed(6) { body(model) }
            return model.network.parameters.map(\.value.scalars)
        }
        let plain = trained { _ = $0.fit(x, y, epochs: 2, batchSize: 16, seed: 1) }
        #expect(trained { _ = $0.fit(x, y, epochs: 2, batchSize: 16, seed: 1, sampleWeight: Tensor.ones([96])) } == plain)
        let byClass = trained { _ = $0.fit(x, y, epochs: 2, batchSize: 16, seed: 1, classWeight: [1: 3]) }
        let bySample = trained {
            _ = $0.fit(x, y, epochs: 2, batchSize: 16, seed: 1, sampleWeight: Tensor(y.integers.map { $0 == 1 ? 3 : 1 }))
        }
        #expect(byClass == bySample && byClass != plain)
        let balanced = Model.balancedClassWeights(labels: Tensor(integers: [0, 0, 0, 1]), classCount: 2)
        #expect(balanced == [0: 4.0 / 6, 1: 2])
    }

    @Test func verbosityChoosesWhatFitPrints() {
        let (x, y) = argmaxProblem(64, seed: 7)
        for (verbose, lines) in [(Model.Verbosity.silent, 0), (.epochLines, 3), (.progressBar, 3)] {
            let model = smallModel()
            var printed: [String] = []
            model.progressOutput = { text, _ in printed.append(text) }
            model.fit(x, y, epochs: 3, batchSize: 32, verbose: verbose)
            // Standard output is not a terminal under the test runner: one line per epoch.
            #expect(printed.count == lines, "\(verbose): \(printed)")
            if lines > 0 { #expect(printed[0].hasPrefix("Epoch 1/3 - 2/2 [") && printed[0].contains("accuracy: ")) }
        }
    }
}

@Suite struct SavedModelTests {
    /// A small classifier trained on a table of a number and a category.
    func tableModel() throws -> (Model, Table) {
        var rows = ["size,colour,kind"]
        var rng = RandomGenerator(seed: 9)
        let u = Tensor.uniform([120], low: 0, high: 10, using: &rng).scalars
        for (i, v) in u.enumerated() {
            let colour = ["red", "green", "blue"][i % 3]
            rows.append("\(v),\(colour),\(v + (colour == "red" ? 3 : 0) > 6 ? "big" : "small")")
        }
        let table = try Table.parse(rows.joined(separator: "\n"), source: "fruit.csv")
        let encoder = try TableEncoder(fitting: table, label: "kind")
        let x = try encoder.encodeFeatures(table), y = try encoder.encodeLabels(table)
        let model = Model(Random.withSeed(1) {
            Sequential { Normalization(adaptingTo: x); Dense(16, activation: .relu); Dropout(rate: 0.1); Dense(2) }
        })
        model.tableEncoder = encoder
        model.classNames = encoder.classNames
        model.compile(optimizer: .adam(learningRate: 0.01), loss: .crossEntropy(), metrics: [Accuracy(), ClassificationScore(.f1, classCount: 2)])
        model.progressOutput = nil
        Random.withSeed(2) { _ = model.fit(x, y, epochs: 5, batchSize: 16, seed: 3) }
        return (model, table)
    }

    @Test func aLoadedModelPredictsTheSameOnReorderedColumnsAndEvaluatesUncompiled() throws {
        let (model, table) = try tableModel()
        let path = temporaryPath("fruit.safetensors")
        try model.save(to: path)
        let loaded = try Model.load(from: path)
        #expect(loaded.classNames == ["big", "small"] && loaded.tableEncoder == model.tableEncoder)
        #expect(loaded.loss?.name == "cross_entropy" && loaded.metrics.map(\.name) == ["accuracy", "f1_macro"])
        #expect((loaded.optimizer as? Adam)?.stepCount == 40)
        // The same rows with the columns in another order.
        let reordered = try Table.parse("kind,colour,size\n" + (0..<table.rowCount).map { row in
            ["kind", "colour", "size"].map { try! table.column($0).text(at: row)! }.joined(separator: ",")
        }.joined(separator: "\n"))
        #expect(try loaded.predict(reordered).scalars == (try model.predict(table)).scalars)
        #expect(try loaded.predictClassNames(reordered) == (try model.predictClassNames(table)))
        #expect(try loaded.evaluate(reordered) == (try model.evaluate(table)))
        let probabilities = loaded.predictProbabilities(try loaded.encode(table))
        expectClose(probabilities.sum(along: 1), [Float](repeating: 1, count: table.rowCount), atol: 1e-5)
    }

    @Test func aLoadedModelContinuesFitAsTheOriginalWould() throws {
        let (model, table) = try tableModel()
        let path = temporaryPath("fruit.safetensors")
        try model.save(to: path)
        let loaded = try Model.load(from: path)
        loaded.progressOutput = nil
        let x = try model.encode(table), y = try model.tableEncoder!.encodeLabels(table)
        Random.withSeed(4) { _ = model.fit(x, y, epochs: 2, batchSize: 16, seed: 5) }
        Random.withSeed(4) { _ = loaded.fit(x, y, epochs: 2, batchSize: 16, seed: 5) }
        #expect(loaded.network.parameters.map(\.value.scalars) == model.network.parameters.map(\.value.scalars))
    }

    @Test func badSavedModelsAreErrorsNamingWhatIsWrong() throws {
        let (model, _) = try tableModel()
        let path = temporaryPath("fruit.safetensors")
        try model.save(to: path, includeOptimizer: false)
        let (tensors, metadata) = try SafeTensors.load(path)
        func loading(_ change: (inout [String: String]) -> Void) -> String? {
            var m = metadata
            change(&m)
            let bad = temporaryPath("bad.safetensors")
            try! SafeTensors.save(tensors, metadata: m, to: bad)
            return message { try Model.load(from: bad) }
        }
        let compile = metadata["model_compile"]!
        #expect(loading { $0["model_compile"] = "{" }?.contains("model_compile is not valid") == true)
        #expect(loading { $0["model_compile"] = compile.replacingOccurrences(of: "\"learningRate\":0.01", with: "\"learningRate\":-1") }?
                .contains("hyperparameters must be finite and >= 0") == true)
        #expect(loading { $0["model_compile"] = compile.replacingOccurrences(of: "\"accuracy\"", with: "\"sparkle\"") }?
                .hasSuffix("the metric 'sparkle' is not built in; pass it in customMetrics") == true)
        #expect(loading { $0["class_names"] = "[\"big\",\"big\"]" }?.hasSuffix("class_names must be distinct, 1 to 2^20 of them") == true)
        let encoder = metadata["table_encoder"]!
        #expect(loading { $0["table_encoder"] = encoder.replacingOccurrences(of: "\"blue\",", with: "") }?
                .contains("the network does not take the table encoder's 4 values") == true)
        #expect(loading { $0["table_encoder"] = encoder.replacingOccurrences(of: "\"small\"", with: "\"big\"") }?
                .contains("classes must be two or more, distinct") == true)
        // Loaded without its compile configuration, a model predicts but says it cannot evaluate.
        #expect(loading { $0["model_compile"] = nil } == nil)
    }

    @Test func optimizerConfigurationsRoundTrip() throws {
        let p = [Parameter(Tensor.zeros([2]))]
        let configurations: [OptimizerConfiguration] = [
            .sgd(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4), .adam(), .adamW(weightDecay: 0.05),
            .rmsprop(learningRate: 0.002, centered: true), .adagrad(learningRateDecay: 0.01),
        ]
        for c in configurations {
            try c.validate()
            #expect((c.make(p) as! any ConfigurableOptimizer).configuration == c)
            #expect(try JSONDecoder().decode(OptimizerConfiguration.self, from: try JSONEncoder().encode(c)) == c)
        }
        #expect(message { try OptimizerConfiguration.adam(beta1: 1).validate() }?.hasSuffix("betas must be in [0, 1)") == true)
        #expect(message { try OptimizerConfiguration.sgd(nesterov: true).validate() }?.hasSuffix("Nesterov momentum needs momentum > 0") == true)
    }

    @Test func probabilitiesFollowWhatTheOutputsAre() {
        let logits = Model(Linear(3, 4)), probabilities = Model(Sequential { Linear(3, 4); Softmax(axis: -1) })
        let x = Tensor.normal([5, 3])
        expectClose(logits.predictProbabilities(x), softmax(logits.predict(x), along: -1))
        #expect(probabilities.predictProbabilities(x).scalars == probabilities.predict(x).scalars)
        probabilities.compile(optimizer: .sgd(), loss: .categoricalCrossEntropy(fromLogits: false))
        #expect(probabilities.outputKind == .probabilities)
        #expect(logits.predictClasses(x) == logits.predict(x).argmax(along: 1).integers)
        let binary = Model(Linear(3, 1))
        #expect(binary.predictClasses(x) == binary.predict(x).scalars.map { $0 >= 0 ? 1 : 0 })
    }
}

@Suite struct MultiOutputTests {
    /// Two heads over one trunk: which coordinate is largest, and whether the first is positive.
    func twoHeads() -> (Model, Tensor, [String: Tensor]) {
        let (x, largest) = argmaxProblem(256, seed: 11)
        let positive = Tensor(integers: x.scalars.enumerated().filter { $0.offset % 3 == 0 }.map { $0.element > 0 ? 1 : 0 })
        let model = Model(Random.withSeed(12) {
            Heads(trunk: Sequential { Dense(32, activation: .relu, inputFeatures: 3) }, heads: [("largest", Dense(3)), ("positive", Dense(2))])
        })
        model.compile(optimizer: .adam(learningRate: 0.01), losses: ["largest": .crossEntropy(), "positive": .crossEntropy()],
                      lossWeights: ["positive": 0.5], metrics: ["largest": [Accuracy()], "positive": [Accuracy()]])
        model.progressOutput = nil
        return (model, x, ["largest": largest, "positive": positive])
    }

    @Test func eachOutputHasItsLossWeightAndMetrics() {
        let (model, x, targets) = twoHeads()
        let history = Random.withSeed(13) { model.fit(x, targets, epochs: 12, batchSize: 32, validationData: (x, targets)) }
        let last = history.epochs.last!
        #expect(Set(last.keys) == ["loss", "lr", "largest_loss", "positive_loss", "largest_accuracy", "positive_accuracy",
                                   "val_loss", "val_largest_loss", "val_positive_loss", "val_largest_accuracy", "val_positive_accuracy"])
        #expect(last["largest_accuracy"]! > 0.85 && last["positive_accuracy"]! > 0.85)
        let scores = model.evaluate(x, targets)
        #expect(Swift.abs(scores["loss"]! - (scores["largest_loss"]! + 0.5 * scores["positive_loss"]!)) < 1e-5)
        #expect(scores == (history.epochs.last!.filter { $0.key.hasPrefix("val_") }.reduce(into: [String: Float]()) { $0[String($1.key.dropFirst(4))] = $1.value }))
        let outputs = model.predictOutputs(x)
        #expect(outputs["largest"]!.shape == [256, 3] && outputs["positive"]!.shape == [256, 2])
        #expect(model.predict(x).shape == [256, 5])
    }

    @Test func aSavedMultiOutputModelLoadsCompiled() throws {
        let (model, x, targets) = twoHeads()
        Random.withSeed(14) { _ = model.fit(x, targets, epochs: 2, batchSize: 64) }
        let path = temporaryPath("heads.safetensors")
        try model.save(to: path)
        let loaded = try Model.load(from: path)
        #expect(loaded.outputLosses?.map(\.name) == ["largest", "positive"] && loaded.outputLosses?.map(\.weight) == [1, 0.5])
        #expect(loaded.evaluate(x, targets) == model.evaluate(x, targets))
        #expect(loaded.predictOutputs(x)["positive"]!.scalars == model.predictOutputs(x)["positive"]!.scalars)
    }
}

@Suite struct TensorBoardCallbackTests {
    @Test func writesTrainAndValidationEventFilesAndSurvivesAnUnwritableDirectory() throws {
        let (x, y) = argmaxProblem(64, seed: 15)
        let directory = temporaryPath("tb")
        let callback = TensorBoard(logDirectory: directory, sampleImages: Tensor.uniform([4, 1, 3, 3]), runDescription: "test run")
        let model = smallModel()
        model.fit(x, y, epochs: 2, batchSize: 32, validationData: (x, y), callbacks: [callback])
        #expect(callback.lastError == nil)
        for part in ["train", "validation"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory + "/" + part)
            #expect(names.count == 1 && names[0].hasPrefix("events.out.tfevents."))
            let size = try FileManager.default.attributesOfItem(atPath: directory + "/" + part + "/" + names[0])[.size] as! Int
            // Scalars per epoch in both; histograms of the 4 parameters and the images in train.
            #expect(part == "train" ? size > 1000 : size > 100)
        }
        let unwritable = TensorBoard(logDirectory: "/proc/none/tb")
        smallModel().fit(x, y, epochs: 1, batchSize: 32, callbacks: [unwritable])
        #expect(unwritable.lastError != nil)
    }
}
