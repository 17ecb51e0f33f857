import Datasets
import Foundation
import Interop
import Layers
import Optimizers
import TensorCore
import Training

/// Networks for the user's own tables: a multilayer perceptron that takes a `Table`, learns its
/// preprocessing on the training rows (`TableEncoder`, then `Normalization` adapted inside the
/// network) and classifies or regresses its label column. What `deeplearn train --csv` and
/// `deeplearn cv` run.
///
/// The defaults start from scikit-learn's `MLPClassifier`: one hidden layer of 100 ReLU units,
/// Adam at 1e-3 with an L2 penalty of 1e-4, up to 200 epochs; batches of 32. Beside the hidden
/// layer runs a linear path from the features to the outputs (a wide and deep network) whose
/// deep part starts at 0, so a network starts as a linear model and the hidden layer adds what
/// the linear part misses.
///
/// - A classification trains with dropout 0.1 until the training loss has not improved by 1e-4
///   for 10 epochs (scikit-learn's `tol` and `n_iter_no_change`).
/// - A regression learns standardized targets and ends in an inverted `Normalization`, so its
///   outputs are in the label's units. Its linear path starts at the ridge solution (α = 1 on
///   the standardized features: scikit-learn's `Ridge()` after `StandardScaler`), and 10% of
///   the training rows are held out to stop on: training ends after 20 epochs without their
///   loss improving and keeps the best epoch, or the start when no epoch beat it.
///
/// BENCHMARKS.md compares these defaults with scikit-learn on its bundled datasets.
public enum Tabular {
    public struct Recipe: Codable, Sendable, Equatable {
        /// Hidden layer widths.
        public var hidden: [Int] = [100]
        public var epochs = 200
        public var batchSize = 32
        public var learningRate: Float = 1e-3
        /// The L2 penalty (Adam's coupled weight decay, scikit-learn's `alpha`).
        public var weightDecay: Float = 1e-4
        /// The dropout rate after each hidden layer; nil: 0.1 for a classification, 0 for a regression.
        public var dropout: Float?
        /// Training stops after this many epochs without the loss it watches improving (0 trains
        /// every epoch); nil: 10 for a classification, 20 for a regression.
        public var patience: Int?
        public var task: TableEncoder.Task = .automatic
        public var imputation: TableEncoder.Imputation = .none
        /// Weighs each class by N / (classes · its count) (scikit-learn's `class_weight="balanced"`).
        public var balanceClasses = false
        /// The fraction of the training rows held out (stratified for a classification) to stop
        /// on: training ends once their loss has not improved for `patience` epochs, and the
        /// weights of the best epoch are kept (scikit-learn's `early_stopping=True`, Keras's
        /// `EarlyStopping(restore_best_weights=True)`). 0 stops on the training loss (by 1e-4)
        /// instead. Nil: 0 for a classification, 0.1 for a regression.
        public var validationFraction: Float?
        /// A linear path from the features to the outputs beside the hidden layers, the two added
        /// (a wide and deep network).
        public var wide = true
        /// Networks trained apart (their own initialization, shuffles and dropout) and averaged.
        public var ensemble = 1

        public init() {}

        /// The recipe with the task's defaults in place of the settings left nil.
        public func resolved(classification: Bool) -> Recipe {
            var r = self
            r.dropout = dropout ?? (classification ? 0.1 : 0)
            r.patience = patience ?? (classification ? 10 : 20)
            r.validationFraction = validationFraction ?? (classification ? 0 : 0.1)
            return r
        }

        /// Throws unless every setting can train; messages name the command-line flags.
        public func validate() throws {
            func fail(_ message: String) -> TableError { TableError(message) }
            guard !hidden.isEmpty, hidden.count <= 64, hidden.allSatisfy({ (1...1 << 16).contains($0) }) else {
                throw fail("--hidden must be 1 to 64 widths in 1...65536, like 64,32; got \(hidden.map(String.init).joined(separator: ","))")
            }
            guard (1...1_000_000).contains(epochs) else { throw fail("--epochs must be in 1...1000000, got \(epochs)") }
            guard (1...1 << 20).contains(batchSize) else { throw fail("--batch-size must be in 1...1048576, got \(batchSize)") }
            guard learningRate.isFinite, learningRate > 0 else { throw fail("--learning-rate must be a finite number > 0, got \(learningRate)") }
            guard weightDecay.isFinite, weightDecay >= 0 else { throw fail("--weight-decay must be a finite number >= 0, got \(weightDecay)") }
            if let dropout, !(0..<1).contains(dropout) { throw fail("--dropout must be in [0, 1), got \(dropout)") }
            if let patience, !(0...1_000_000).contains(patience) { throw fail("--patience must be in 0...1000000, got \(patience)") }
            guard (1...100).contains(ensemble) else { throw fail("--ensemble must be in 1...100, got \(ensemble)") }
            if let validationFraction, !(0..<0.9).contains(validationFraction) {
                throw fail("--validation-fraction must be in [0, 0.9), got \(validationFraction)")
            }
        }
    }

    /// A trained table model and its scores.
    public struct Result {
        public let model: Model
        /// Each ensemble member's training logs.
        public let histories: [History]
        /// Scores on the test rows when given: `test_accuracy` and `test_loss` for a
        /// classification; `test_r2`, `test_mae`, `test_mse` for a regression.
        public let testMetrics: [String: Float]
        /// The test rows' classification report (classifications with test rows only).
        public let report: ClassificationReport?
    }

    /// One member of the network for `encoder`'s features, taking normalized features: the
    /// hidden layers and one output per class (logits) or one standardized value; with `wide`, a
    /// linear path beside them, the two added, with the deep path starting at 0 so that the
    /// member starts as its linear path (for a regression, the ridge solution of `ridgeStart`).
    static func makeMember(_ encoder: TableEncoder, recipe: Recipe, ridgeStart: [Float]?) -> any Layer {
        let outputs = encoder.classNames?.count ?? 1
        var deep: [any Layer] = []
        var width = encoder.width
        for h in recipe.hidden {
            deep.append(Dense(h, activation: .relu, inputFeatures: width))
            if let rate = recipe.dropout, rate > 0 { deep.append(Dropout(rate: rate)) }
            width = h
        }
        let head = Dense(outputs, inputFeatures: width)
        deep.append(head)
        guard recipe.wide else { return Sequential(deep) }
        head.weight.value = Tensor.zeros(head.weight.shape)
        let linear = Dense(outputs, inputFeatures: encoder.width)
        linear.weight.value = ridgeStart.map { Tensor($0, shape: [1, encoder.width]) } ?? Tensor.zeros(linear.weight.shape)
        return Parallel([linear, Sequential(deep)], combine: .sum)
    }

    /// The whole network: `Normalization` adapted to the training features, the members
    /// (averaged when more than one), and for a regression an inverted `Normalization` adapted
    /// to the targets, so that outputs are in the label's units.
    static func assemble(_ normalization: Normalization, _ members: [any Layer], _ targetScale: Normalization?) -> Sequential {
        Sequential([normalization, members.count == 1 ? members[0] : Parallel(members, combine: .mean)] + (targetScale.map { [$0] } ?? []))
    }

    /// The w minimizing ‖y − Xw‖² + α‖w‖² (scikit-learn's `Ridge` without intercept, for centered
    /// data), by Cholesky factorization of XᵀX + αI in double precision; nil if it fails.
    ///
    /// Shape: x `[N, F]`, y `[N, 1]` -> F values.
    static func ridgeSolution(_ x: Tensor, _ y: Tensor, alpha: Double) -> [Float]? {
        let (n, f) = (x.shape[0], x.shape[1])
        let xs = x.scalars.map(Double.init), ys = y.scalars.map(Double.init)
        var a = [Double](repeating: 0, count: f * f), b = [Double](repeating: 0, count: f)
        for r in 0..<n {
            let row = r * f
            for i in 0..<f {
                let xi = xs[row + i]
                guard xi != 0 else { continue }
                b[i] += xi * ys[r]
                for j in 0...i { a[i * f + j] += xi * xs[row + j] }
            }
        }
        for i in 0..<f { a[i * f + i] += alpha }
        // In place: the lower triangle becomes L with L Lᵀ = A.
        for j in 0..<f {
            var d = a[j * f + j]
            for k in 0..<j { d -= a[j * f + k] * a[j * f + k] }
            guard d > 0, d.isFinite else { return nil }
            let l = d.squareRoot()
            a[j * f + j] = l
            for i in (j + 1)..<Swift.max(f, j + 1) {
                var v = a[i * f + j]
                for k in 0..<j { v -= a[i * f + k] * a[j * f + k] }
                a[i * f + j] = v / l
            }
        }
        var z = b
        for i in 0..<f {
            for k in 0..<i { z[i] -= a[i * f + k] * z[k] }
            z[i] /= a[i * f + i]
        }
        for i in stride(from: f - 1, through: 0, by: -1) {
            for k in (i + 1)..<Swift.max(f, i + 1) { z[i] -= a[k * f + i] * z[k] }
            z[i] /= a[i * f + i]
        }
        return z.allSatisfy(\.isFinite) ? z.map { Float($0) } : nil
    }

    /// Fits an encoder on `train` (`label` and `features`, every other column when nil), trains
    /// a network on it, and scores it on `test` when given. `warn` receives a line for each
    /// constant feature column. The same `seed` gives the same model bit for bit.
    public static func train(
        _ train: Table, label: String, features: [String]? = nil, recipe given: Recipe = Recipe(), test: Table? = nil,
        seed: UInt64 = 0, verbose: Model.Verbosity = .silent, warn: (String) -> Void = { _ in }
    ) throws -> Result {
        try given.validate()
        let encoder = try TableEncoder(fitting: train, label: label, features: features, task: given.task, imputation: given.imputation)
        let recipe = given.resolved(classification: encoder.isClassification)
        let (patience, validationFraction) = (recipe.patience!, recipe.validationFraction!)
        for column in encoder.constantColumns {
            warn("column '\(column)' has the same value in every training row; it carries no information (it is centered to 0)")
        }
        // The rows training learns from, and those it stops on.
        var fitRows = train, stopData: (Tensor, Tensor)?
        if validationFraction > 0 {
            let parts = encoder.isClassification
                ? try train.stratifiedSplit(on: label, testFraction: validationFraction, seed: seed)
                : try train.randomSplit(testFraction: validationFraction, seed: seed)
            fitRows = parts.train
            stopData = (try encoder.encodeFeatures(parts.test), try encoder.encodeLabels(parts.test))
        }
        let x = try encoder.encodeFeatures(fitRows), y = try encoder.encodeLabels(fitRows)
        let (allX, allY) = stopData == nil ? (x, y) : (try encoder.encodeFeatures(train), try encoder.encodeLabels(train))
        // Encoded before training, so that a bad test table stops the run before it starts.
        let testData = try test.map { try encode($0, encoder, warn: warn) }
        let classification = encoder.isClassification
        // Preprocessing and the linear start see every training row; the held-out ones only stop.
        let normalization = Normalization(adaptingTo: allX)
        let targetScale = classification ? nil : Normalization(adaptingTo: allY, invert: true)
        var ridgeStart: [Float]?
        // The normal equations cost rows · width² operations: skipped (the linear path starts at
        // 0) beyond a few seconds' worth.
        if recipe.wide, let targetScale, Double(allX.shape[0]) * Double(encoder.width) * Double(encoder.width) <= 4e9 {
            let standardized = (allY - targetScale.mean.value) / sqrt(maximum(targetScale.variance.value, 1e-30))
            ridgeStart = ridgeSolution(withoutGradients { normalization(allX) }, standardized, alpha: 1)
        }
        func compiled(_ network: any Layer) -> Model {
            let model = Model(network)
            model.tableEncoder = encoder   // and its class names
            model.compile(optimizer: .adam(learningRate: recipe.learningRate, weightDecay: recipe.weightDecay),
                          loss: classification ? .crossEntropy() : .meanSquaredError,
                          metrics: classification ? [Accuracy()] : [RegressionError(.mae), RSquared()])
            return model
        }
        let classWeight = classification && recipe.balanceClasses
            ? Model.balancedClassWeights(labels: y, classCount: encoder.classNames!.count) : nil
        var members: [any Layer] = [], histories: [History] = []
        for m in 0..<recipe.ensemble {
            // Each member its own draws: initialization, shuffles and dropout.
            let memberSeed = seed &+ UInt64(m) &* 0x9E37_79B9_7F4A_7C15
            Random.withSeed(memberSeed) {
                let member = makeMember(encoder, recipe: recipe, ridgeStart: ridgeStart)
                let model = compiled(assemble(normalization, [member], targetScale))
                let stopping = stopData == nil
                    ? EarlyStopping(monitor: "loss", minDelta: 1e-4, patience: patience - 1)
                    : EarlyStopping(monitor: "val_loss", patience: patience - 1, restoreBestWeights: true)
                // Where training starts, to come back to when no epoch did better on the held-out rows.
                let start = stopData.map { (member.parameters.map { $0.value.detached() }, model.evaluate($0.0, $0.1)["loss"]!) }
                let history = model.fit(x, y, epochs: recipe.epochs, batchSize: recipe.batchSize, validationData: stopData,
                                        callbacks: patience > 0 ? [stopping] : [], seed: memberSeed, verbose: verbose,
                                        classWeight: classWeight)
                if let (weights, loss) = start, patience > 0, !(stopping.bestValue.map { $0 <= loss } ?? false) {
                    for (p, w) in zip(member.parameters, weights) { p.value = w }
                }
                members.append(member)
                histories.append(history)
            }
        }
        let model = compiled(assemble(normalization, members, targetScale))
        guard let (tx, ty) = testData else { return Result(model: model, histories: histories, testMetrics: [:], report: nil) }
        let (metrics, report) = scores(model, tx, ty)
        return Result(model: model, histories: histories, testMetrics: metrics, report: report)
    }

    /// The features and labels of `table` (the label column checked first), with one warning per
    /// column holding categories not seen in training.
    static func encode(_ table: Table, _ encoder: TableEncoder, warn: (String) -> Void) throws -> (Tensor, Tensor) {
        _ = try table.column(encoder.label)
        var unknown: [TableEncoder.UnknownCategory] = []
        let x = try encoder.encodeFeatures(table) { unknown.append($0) }
        let y = try encoder.encodeLabels(table)
        TableEncoder.UnknownCategory.summary(unknown).forEach(warn)
        return (x, y)
    }

    /// The test scores and, for a classification, the report of `model` on encoded rows.
    private static func scores(_ model: Model, _ x: Tensor, _ y: Tensor) -> ([String: Float], ClassificationReport?) {
        let logs = model.evaluate(x, y)
        if model.tableEncoder?.isClassification ?? true {
            return (["test_accuracy": logs["accuracy"]!, "test_loss": logs["loss"]!], model.classificationReport(x, y))
        }
        return (["test_r2": logs["r2"]!, "test_mae": logs["mae"]!, "test_mse": logs["loss"]!], nil)
    }

    /// The scores of a trained table model on `table` (its label column included), with the
    /// classification report for a classification. Unseen categories go to `warn`.
    public static func evaluate(_ model: Model, on table: Table, warn: (String) -> Void = { _ in })
        throws -> (metrics: [String: Float], report: ClassificationReport?)
    {
        guard let encoder = model.tableEncoder else { throw TableError("this checkpoint was not trained on a table") }
        guard model.loss != nil else { throw TableError("this checkpoint has no compile configuration to evaluate with") }
        let (x, y) = try encode(table, encoder, warn: warn)
        return scores(model, x, y)
    }

    /// What `crossValidate` measured.
    public struct CrossValidation: Sendable {
        /// `accuracy` for a classification, `r2` for a regression.
        public let metric: String
        /// The score of each fold, in fold order.
        public let scores: [Float]
        public var mean: Float { scores.reduce(0, +) / Float(scores.count) }
        /// The population standard deviation (NumPy's `std`, what scikit-learn users print).
        public var standardDeviation: Float {
            let m = mean
            return (scores.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Float(scores.count)).squareRoot()
        }
    }

    /// k-fold cross-validation: `folds` splits of `table` (stratified on the label for a
    /// classification; without `shuffle`, scikit-learn's `cross_val_score(cv=folds)` folds), each
    /// fold scored by a model trained, preprocessing included, on the others.
    public static func crossValidate(
        _ table: Table, label: String, features: [String]? = nil, folds: Int = 5, shuffle: Bool = false, recipe: Recipe = Recipe(),
        seed: UInt64 = 0, warn: (String) -> Void = { _ in }, progress: (String) -> Void = { _ in }
    ) throws -> CrossValidation {
        try recipe.validate()
        // The encoder of the whole table decides the task the folds share.
        let whole = try TableEncoder(fitting: table, label: label, features: features, task: recipe.task, imputation: recipe.imputation)
        var foldRecipe = recipe
        foldRecipe.task = whole.isClassification ? .classification : .regression
        let splits = try table.kFold(folds, stratifyOn: whole.isClassification ? label : nil, shuffle: shuffle, seed: seed)
        var scores: [Float] = []
        for (fold, (trainRows, validationRows)) in splits.enumerated() {
            let result = try train(table.rows(trainRows), label: label, features: features, recipe: foldRecipe,
                                   test: table.rows(validationRows), seed: seed &+ UInt64(fold), warn: warn)
            let score = result.testMetrics[whole.isClassification ? "test_accuracy" : "test_r2"]!
            progress(String(format: "fold %d/%d: %@ %.4f", fold + 1, folds, whole.isClassification ? "accuracy" : "r2", score))
            scores.append(score)
        }
        return CrossValidation(metric: whole.isClassification ? "accuracy" : "r2", scores: scores)
    }
}

extension Tabular {
    /// Whether the checkpoint at `path` holds a model trained on a table (by `train` or
    /// `Model.save` of a model with a `tableEncoder`).
    public static func isTableModel(at path: String) throws -> Bool {
        try SafeTensors.load(path).metadata["table_encoder"] != nil
    }

    /// The training and test tables of a run: `test` when given, or else a seeded split of
    /// `table` holding `testFraction` of its rows (stratified on `label` for a classification,
    /// the task decided as `train` decides it). With `dropMissing`, rows missing any value of
    /// the label or `features` are dropped from both first.
    public static func split(
        _ table: Table, test: Table?, label: String, features: [String]?, testFraction: Float, task: TableEncoder.Task,
        dropMissing: Bool, seed: UInt64
    ) throws -> (train: Table, test: Table) {
        var columns = (features ?? table.names.filter { $0 != label }) + [label]
        columns = try columns.map { _ = try table.column($0); return $0 }
        let whole = dropMissing ? try table.droppingMissing(in: columns) : table
        if let test { return (whole, dropMissing ? try test.droppingMissing(in: columns) : test) }
        let encoder = try TableEncoder(fitting: whole, label: label, features: features, task: task, imputation: .mean)
        return encoder.isClassification
            ? try whole.stratifiedSplit(on: label, testFraction: testFraction, seed: seed)
            : try whole.randomSplit(testFraction: testFraction, seed: seed)
    }
}
