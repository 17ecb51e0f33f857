import ArgumentParser
import DeepLearning
import Foundation

/// The flags of `train --csv` and `cv`: which table, which columns, and how to train on it.
struct TableOptions: ParsableArguments {
    @Option(help: "A CSV table with a header line (optionally .gz): train on it instead of Fashion-MNIST.") var csv: String?
    @Option(help: "The column to predict (with --csv).") var label: String?
    @Option(help: "Feature columns, comma-separated (default: every column but the label).") var features: String?
    @Option(help: "Hidden layer widths, comma-separated (default 100).") var hidden: String?
    @Option(help: "classification, regression, or automatic (default: text labels and up to 20 whole numbers are classes).")
    var task: String?
    @Option(help: "Fill missing feature values: mean, median or most-frequent (default: a missing value is an error).")
    var impute: String?
    @Flag(inversion: .prefixedNo, help: "A linear path beside the hidden layers, the two added (default: on).") var wide: Bool?
    @Option(parsing: .unconditional, help: "Train this many networks apart and average them (default 1).") var ensemble: Int?
    @Flag(help: "Drop rows that miss any value of the label or the features.") var dropMissing = false
    @Flag(help: "Weigh classes by N / (classes x count), for imbalanced labels.") var balanceClasses = false
    @Option(parsing: .unconditional, help: "Stop after this many epochs without the watched loss improving (0: never; default 10 for a classification, 20 for a regression).")
    var patience: Int?
    @Option(parsing: .unconditional, help: "Hold out this fraction of the training rows to stop on, keeping the best epoch (0: stop on the training loss; default 0 for a classification, 0.1 for a regression).")
    var validationFraction: Float?

    var featureList: [String]? {
        features.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    /// The table recipe with these flags and the shared ones applied.
    func recipe(epochs: Int?, options: TrainingOptions) throws -> Tabular.Recipe {
        var recipe = Tabular.Recipe()
        if let hidden {
            let widths = hidden.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !widths.isEmpty, let parsed = widths as? [Int] else {
                throw ValidationError("--hidden must be widths separated by commas, like 64,32; got '\(hidden)'")
            }
            recipe.hidden = parsed
        }
        if let task {
            guard let t = TableEncoder.Task(rawValue: task) else {
                throw ValidationError("unknown --task '\(task)'; choose classification, regression or automatic")
            }
            recipe.task = t
        }
        if let impute {
            guard let i = TableEncoder.Imputation(rawValue: impute), i != .none else {
                throw ValidationError("unknown --impute '\(impute)'; choose mean, median or most-frequent")
            }
            recipe.imputation = i
        }
        recipe.epochs = epochs ?? recipe.epochs
        recipe.batchSize = options.batchSize ?? recipe.batchSize
        recipe.learningRate = options.learningRate ?? recipe.learningRate
        recipe.weightDecay = options.weightDecay ?? recipe.weightDecay
        recipe.dropout = options.dropout
        recipe.patience = patience
        recipe.balanceClasses = balanceClasses
        recipe.wide = wide ?? recipe.wide
        recipe.ensemble = ensemble ?? recipe.ensemble
        recipe.validationFraction = validationFraction
        do { try recipe.validate() } catch { throw ValidationError("\(error)") }
        return recipe
    }

    /// The table and label, or exit with the reason.
    func load() -> (table: Table, label: String) {
        guard let csv, let label else { fail("--csv and --label name the table and the column to predict") }
        return (orFail { try Table.read(csv) }, label)
    }
}

/// `deeplearn: warning: ...` on stderr.
func warning(_ message: String) {
    FileHandle.standardError.write(Data(("deeplearn: warning: " + message + "\n").utf8))
}

/// `train --csv`: trains on a table, saves the model, reports the test scores.
func trainOnTable(_ tableOptions: TableOptions, epochs: Int?, testCSV: String?, testFraction: Float, options: TrainingOptions) throws {
    let recipe = try tableOptions.recipe(epochs: epochs, options: options)
    let (table, label) = tableOptions.load()
    let say = options.say
    let parts = orFail {
        try Tabular.split(table, test: try testCSV.map(Table.read), label: label, features: tableOptions.featureList,
                          testFraction: testFraction, task: recipe.task, dropMissing: tableOptions.dropMissing, seed: options.seed)
    }
    say("data: \(table.source) — \(parts.train.rowCount) training, \(parts.test.rowCount) test rows"
        + (testCSV.map { " (test: \($0))" } ?? ""))
    let result = orFail {
        try Tabular.train(parts.train, label: label, features: tableOptions.featureList, recipe: recipe, test: parts.test,
                          seed: options.seed, verbose: options.json ? .silent : .progressBar, warn: warning)
    }
    let stem = ((table.source as NSString).lastPathComponent as NSString).deletingPathExtension
    let output = options.output ?? "runs/\(stem.hasSuffix(".csv") ? String(stem.dropLast(4)) : stem).safetensors"
    orFail { try result.model.save(to: output, createDirectories: true) }
    printTableScores(result.testMetrics, report: result.report, json: options.json, extra: [
        "checkpoint": output, "epochs_trained": result.histories.map(\.epochs.count), "task": result.report == nil ? "regression" : "classification",
        "train_rows": parts.train.rowCount, "test_rows": parts.test.rowCount,
    ])
}

/// Prints test scores (and a classification report) as text or one JSON object.
func printTableScores(_ metrics: [String: Float], report classification: ClassificationReport?, json: Bool, extra: [String: Any]) {
    if json {
        var fields = extra
        for (k, v) in metrics { fields[k] = v }
        if let report = classification {
            fields["confusion_matrix"] = report.confusionMatrix
            fields["classes"] = report.classes.map(\.name)
            fields["f1_macro"] = report.macroAverage.f1
        }
        report(fields)
        return
    }
    if let report = classification { print(report); print(""); print(report.confusionMatrixDescription); print("") }
    for key in metrics.keys.sorted() { print(String(format: "%@: %.4f", key, metrics[key]!)) }
    if let checkpoint = extra["checkpoint"] { print("checkpoint: \(checkpoint)") }
}

struct CrossValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cv",
        abstract: "k-fold cross-validation of a table model: accuracy (classification) or R² (regression) per fold, their mean and spread.")

    @OptionGroup var table: TableOptions
    @Option(parsing: .unconditional, help: "Number of folds (stratified on the label for a classification).") var folds = 5
    @Flag(help: "Shuffle rows (seeded) before cutting folds; without, the folds are scikit-learn's cross_val_score folds.")
    var shuffle = false
    @Option(parsing: .unconditional, help: "Passes over each fold's training rows (at most; see --patience).") var epochs: Int?
    @OptionGroup var options: TrainingOptions

    func validate() throws {
        try check(folds, in: 2...1000, "--folds")
        guard table.csv != nil, table.label != nil else { throw ValidationError("cv needs --csv FILE and --label COLUMN") }
        if options.output != nil { throw ValidationError("cv saves no model; --output does not apply") }
        _ = try table.recipe(epochs: epochs, options: options)
    }

    func run() throws {
        let recipe = try table.recipe(epochs: epochs, options: options)
        let (data, label) = table.load()
        let rows = orFail { table.dropMissing ? try data.droppingMissing(in: (table.featureList ?? data.names.filter { $0 != label }) + [label]) : data }
        let result = orFail {
            try Tabular.crossValidate(rows, label: label, features: table.featureList, folds: folds, shuffle: shuffle, recipe: recipe, seed: options.seed,
                                      warn: warning, progress: options.say)
        }
        if options.json {
            report(["metric": result.metric, "cv_scores": result.scores, "cv_mean": result.mean, "cv_std": result.standardDeviation,
                    "folds": folds])
        } else {
            print(String(format: "%@: %.4f ± %.4f over %d folds", result.metric, result.mean, result.standardDeviation, folds))
        }
    }
}

/// `evaluate --csv`: a table model's scores on a table with its label column.
func evaluateOnTable(checkpoint: String, csv: String, label: String?, json: Bool) {
    let model = orFail { try Model.load(from: checkpoint) }
    guard let encoder = model.tableEncoder else { fail("\(checkpoint): not a table model; evaluate it without --csv") }
    if let label, label != encoder.label { fail("\(checkpoint) predicts '\(encoder.label)', not '\(label)'") }
    let table = orFail { try Table.read(csv) }
    let (metrics, report) = orFail { try Tabular.evaluate(model, on: table, warn: warning) }
    printTableScores(metrics, report: report, json: json, extra: ["rows": table.rowCount])
}

/// `predict` with a table model: one prediction per row of the CSV, columns matched by name.
func predictTable(checkpoint: String, input: String, json: Bool) {
    let model = orFail { try Model.load(from: checkpoint) }
    let table = orFail { try Table.read(input) }
    var unknown: [TableEncoder.UnknownCategory] = []
    let x = orFail { try model.encode(table) { unknown.append($0) } }
    TableEncoder.UnknownCategory.summary(unknown).forEach(warning)
    if model.tableEncoder!.isClassification {
        let probabilities = model.predictProbabilities(x)
        let names = model.predictClassNames(x)
        let best = probabilities.max(along: 1).scalars
        if json {
            report(["predictions": names, "probabilities": best, "rows": table.rowNumbers])
        } else {
            for (row, (name, p)) in zip(table.rowNumbers, zip(names, best)) { print(String(format: "%d\t%@\t%.3f", row, name, p)) }
        }
    } else {
        let values = model.predict(x).scalars
        if json {
            report(["predictions": values, "rows": table.rowNumbers])
        } else {
            for (row, v) in zip(table.rowNumbers, values) { print("\(row)\t\(v)") }
        }
    }
}
