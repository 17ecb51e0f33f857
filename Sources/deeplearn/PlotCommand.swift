import ArgumentParser
import DeepLearning
import Foundation

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw training curves, a confusion matrix, ROC curves, a layer's filters or images, as PNG or SVG.",
        discussion: """
            The format follows --output's extension (.png or .svg). Each command prints one JSON object: \
            the file written and its size in pixels.
            """,
        subcommands: [PlotHistory.self, PlotConfusion.self, PlotROC.self, PlotFilters.self, PlotImages.self])
}

/// The output options every plot takes.
struct PlotOutput: ParsableArguments {
    @Option(help: "The image to write: .png or .svg.") var output: String
    @Option(parsing: .unconditional, help: "Width in pixels (160-4096).") var width: Int?
    @Option(parsing: .unconditional, help: "Height in pixels (120-4096).") var height: Int?

    func validate() throws {
        do { _ = try Canvas.format(of: output) } catch { throw ValidationError("--output \(error)") }
        if let width { try check(width, in: 160...4096, "--width") }
        if let height { try check(height, in: 120...4096, "--height") }
    }

    /// Writes `canvas` and reports what was written.
    func write(_ canvas: Canvas, _ fields: [String: Any] = [:]) {
        orFail { try canvas.write(to: output) }
        report(fields.merging(["output": output, "width": canvas.width, "height": canvas.height]) { a, _ in a })
    }
}

/// The options of the plots of a classifier on the Fashion-MNIST test set.
struct TestSetOptions: ParsableArguments {
    @Option(help: "A checkpoint written by train.") var checkpoint: String
    @Option(help: "Directory holding the Fashion-MNIST files (default: as train finds them).") var data: String?

    /// The checkpoint's softmax probabilities on the test images, the labels, and a title.
    func evaluate() -> (probabilities: Tensor, labels: [Int], title: String) {
        let (network, metadata) = orFail { try loadClassifier(checkpoint) }
        let dataset = loadFashionMNIST(data)
        let probabilities = softmax(Model(network).predict(dataset.testImages), along: 1)
        let labels = dataset.testLabels.integers
        let accuracy = Double(zip(probabilities.argmax(along: 1).integers, labels).filter { $0 == $1 }.count) / Double(labels.count)
        let name = metadata["model"] ?? (checkpoint as NSString).lastPathComponent
        let count = labels.count.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
        return (probabilities, labels, String(format: "%@: %@ test images, accuracy %.4f%@", name, count, accuracy,
                                              dataset.isBundledSample ? " (sample)" : ""))
    }
}

struct PlotHistory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Training curves from a CSV log (train --log FILE.csv): each metric with its val_ twin, one panel each.")

    @Argument(help: "The CSV log: a header of column names (epoch, loss, val_loss, ...), then a line per epoch.") var log: String
    @Option(help: "Only these metrics, comma-separated (loss,accuracy); default all.") var metrics: String?
    @OptionGroup var output: PlotOutput

    func run() {
        let curves = orFail { try TrainingCurves.read(csvLog: log) }
        let only = metrics.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        if let only, only.isEmpty { fail("--metrics names no metric") }
        let canvas = orFail { try curves.canvas(width: output.width ?? 640, height: output.height ?? 480, only: only) }
        output.write(canvas, ["epochs": curves.epochs.count])
    }
}

struct PlotConfusion: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confusion", abstract: "The confusion matrix of a checkpoint on the Fashion-MNIST test set.")

    @OptionGroup var test: TestSetOptions
    @OptionGroup var output: PlotOutput

    func run() {
        let (probabilities, labels, title) = test.evaluate()
        let chart = orFail {
            try ConfusionMatrixChart(predicted: probabilities.argmax(along: 1).integers, actual: labels,
                                     classNames: FashionMNIST.classNames, title: title)
        }
        output.write(chart.canvas(width: output.width ?? 640, height: output.height ?? 600))
    }
}

struct PlotROC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roc", abstract: "ROC curves of a checkpoint on the Fashion-MNIST test set, one class against the rest, with their AUC.")

    @OptionGroup var test: TestSetOptions
    @OptionGroup var output: PlotOutput

    func run() {
        let (probabilities, labels, title) = test.evaluate()
        let curves = orFail { try ROCChart.oneVsRest(scores: probabilities, labels: labels, classNames: FashionMNIST.classNames) }
        output.write(ROCChart.chart(curves, title: "ROC, " + title).canvas(width: output.width ?? 640, height: output.height ?? 480),
                     ["auc": Dictionary(uniqueKeysWithValues: curves.map { ($0.name, $0.area) })])
    }
}

struct PlotFilters: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filters", abstract: "The kernels of a checkpoint's first Conv2D layer as a grid of images.")

    @Option(help: "A checkpoint written by train (or Model.save).") var checkpoint: String
    @Option(help: "Scale each kernel on its own (per-image) or all on one scale (global).") var normalization = "per-image"
    @OptionGroup var output: PlotOutput

    func validate() throws {
        guard ["per-image", "global"].contains(normalization) else {
            throw ValidationError("--normalization must be per-image or global, got '\(normalization)'")
        }
        if output.height != nil { throw ValidationError("--height does not apply: the grid's height follows from --width") }
    }

    func run() {
        let network = orFail { try Model.load(from: checkpoint) }.network
        guard let conv = network.allLayers.lazy.compactMap({ $0 as? Conv2D }).first else {
            fail("\(checkpoint): the model has no Conv2D layer, so no filters to draw (train --model cnn has)")
        }
        let name = network.namedParameters.first { $0.parameter === conv.weight }?.name ?? "weight"
        let w = conv.weight.value
        let grid = orFail {
            try ImageGrid(w, normalization: normalization == "global" ? .global : .perImage,
                          title: "\(name): \(w.shape[0]) filters of \(w.shape[2])x\(w.shape[3])"
                              + (w.shape[1] > 1 && w.shape[1] != 3 ? " x \(w.shape[1]) channels" : ""))
        }
        output.write(grid.canvas(maxWidth: output.width ?? 640), ["layer": name, "shape": w.shape.dimensions])
    }
}

struct PlotImages: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "The first Fashion-MNIST test images as a grid.")

    @Option(help: "Directory holding the Fashion-MNIST files.") var data: String?
    @Option(parsing: .unconditional, help: "How many images (1-1000).") var count = 32
    @OptionGroup var output: PlotOutput

    func validate() throws {
        try check(count, in: 1...1000, "--count")
        if output.height != nil { throw ValidationError("--height does not apply: the grid's height follows from --width") }
    }

    func run() {
        let dataset = loadFashionMNIST(data)
        let n = Swift.min(count, dataset.testImages.shape[0])
        let images = dataset.testImages[0..<n].reshaped(to: [n, 28, 28])
        let grid = orFail { try ImageGrid(images, normalization: .range(0, 1), title: "Fashion-MNIST test images 1-\(n)") }
        output.write(grid.canvas(maxWidth: output.width ?? 640))
    }
}
