import ArgumentParser
import DeepLearning
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on Fashion-MNIST, report its test accuracy and save a checkpoint.",
        discussion: """
            Data is read from --data, $DEEPLEARN_DATA, /usr/share/datasets/fashion-mnist \
            (apt-get install dataset-fashion-mnist), or else the 6,000-image sample bundled with the package. \
            Unset options take the model's recipe: for mlp, 20 epochs of AdamW (lr 1e-3, weight decay 1e-4) \
            with a cosine decay, batch 128, dropout 0.2. The test set is evaluated after each epoch (val_ logs) \
            but never used to choose anything.
            """)

    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")) (default mlp).") var model: String?
    @Option(parsing: .unconditional, help: "Passes over the training set.") var epochs: Int?
    @Option(help: "Optimizer: \(ModelZoo.optimizerNames.joined(separator: ", ")).") var optimizer: String?
    @Option(help: "Learning-rate schedule over epochs: cosine or constant.") var schedule: String?
    @Option(parsing: .unconditional, help: "Label smoothing for the cross-entropy.") var labelSmoothing: Float?
    @Flag(inversion: .prefixedNo, help: "Augment training images (horizontal flip, random crop with padding 2).") var augment: Bool?
    @Option(help: "Directory holding the four Fashion-MNIST IDX files (optionally .gz).") var data: String?
    @Option(help: "Continue the run that wrote this checkpoint from its next epoch (its recipe, seed and optimizer state); --epochs may extend it, --output redirect it.")
    var resume: String?
    @Option(help: "Write TensorBoard event files here (train/ and validation/: scalars per epoch, weight histograms, sample images).")
    var tensorboard: String?
    @Option(help: "Write the per-epoch logs to this CSV file (CSVLogger).") var log: String?
    @Flag(help: "Train data-parallel over the ranks of `mpirun -np N` (Open MPI); --batch-size is the global batch, rank 0 prints and saves.")
    var distributed = false
    @OptionGroup var table: TableOptions
    @Option(help: "With --csv: a CSV of test rows with the same columns (instead of --test-fraction).") var testCsv: String?
    @Option(parsing: .unconditional, help: "With --csv: the fraction of rows held out for testing (stratified; default 0.25).")
    var testFraction: Float?
    @OptionGroup var options: TrainingOptions

    func validate() throws {
        if table.csv != nil {
            let images: [(String, Bool)] = [
                ("--model", model != nil), ("--optimizer", optimizer != nil), ("--schedule", schedule != nil), ("--data", data != nil),
                ("--label-smoothing", labelSmoothing != nil), ("--augment", augment != nil), ("--resume", resume != nil),
                ("--tensorboard", tensorboard != nil), ("--log", log != nil), ("--distributed", distributed)]
            if let (flag, _) = images.first(where: \.1) { throw ValidationError("\(flag) is for Fashion-MNIST; it does not apply with --csv") }
            guard table.label != nil else { throw ValidationError("--csv needs --label COLUMN, the column to predict") }
            if testCsv != nil && testFraction != nil { throw ValidationError("give --test-csv or --test-fraction, not both") }
            if let testFraction, !(testFraction > 0 && testFraction < 1) {
                throw ValidationError("--test-fraction must be in (0, 1), got \(testFraction)")
            }
            _ = try table.recipe(epochs: epochs, options: options)
            return
        }
        if table.label != nil || testCsv != nil || testFraction != nil || table.hidden != nil {
            throw ValidationError("--label, --test-csv, --test-fraction and --hidden need --csv FILE")
        }
        if resume != nil {
            let fixed: [(String, Bool)] = [
                ("--model", model != nil), ("--optimizer", optimizer != nil), ("--schedule", schedule != nil),
                ("--label-smoothing", labelSmoothing != nil), ("--augment", augment != nil), ("--batch-size", options.batchSize != nil),
                ("--learning-rate", options.learningRate != nil), ("--weight-decay", options.weightDecay != nil),
                ("--dropout", options.dropout != nil)]
            if let (flag, _) = fixed.first(where: \.1) {
                throw ValidationError("--resume continues the saved recipe; \(flag) cannot change it")
            }
        }
        let model = self.model ?? "mlp"
        guard ModelZoo.names.contains(model) else {
            throw ValidationError("unknown model '\(model)'; choose one of \(ModelZoo.names.joined(separator: ", "))")
        }
        // The recipe's own checks name the flags; running them here stops before the data loads.
        do { try recipe(for: model).validate() } catch { throw ValidationError("\(error)") }
    }

    /// The model's recipe with the flags given applied.
    private func recipe(for model: String) throws -> ModelZoo.Recipe {
        var recipe = try ModelZoo.recipe(for: model)
        recipe.epochs = epochs ?? recipe.epochs
        recipe.optimizer = optimizer ?? recipe.optimizer
        recipe.learningRate = options.learningRate ?? recipe.learningRate
        recipe.weightDecay = options.weightDecay ?? recipe.weightDecay
        recipe.schedule = schedule ?? recipe.schedule
        recipe.dropout = options.dropout ?? recipe.dropout
        recipe.labelSmoothing = labelSmoothing ?? recipe.labelSmoothing
        recipe.augment = augment ?? recipe.augment
        return recipe
    }

    func run() throws {
        if table.csv != nil {
            try trainOnTable(table, epochs: epochs, testCSV: testCsv, testFraction: testFraction ?? 0.25, options: options)
            return
        }
        let model = self.model ?? "mlp"
        let communicator: MPICommunicator? = distributed ? orFail { try MPICommunicator.world() } : nil
        defer { communicator?.finalize() }
        let primary = communicator?.isPrimary ?? true
        let say = primary ? options.say : { _ in }
        let dataset = loadFashionMNIST(data)
        if let communicator { say("distributed: \(communicator.size) ranks, \(Backend.coreCount) threads each") }
        say("data: \(dataset.directory)\(dataset.isBundledSample ? " (bundled sample)" : "")"
            + " — \(dataset.trainImages.shape[0]) training, \(dataset.testImages.shape[0]) test images")
        if let resume {
            let outputPath = options.output ?? resume
            let result = orFail {
                try ModelZoo.resume(resume, epochs: epochs, data: dataset, output: outputPath, showProgressBar: !options.json && primary,
                                    callbacks: logging(dataset, description: "resumed from \(resume)", primary: primary),
                                    communicator: communicator, progress: say)
            }
            if primary { finish(result, outputPath: outputPath, dataset: dataset) }
            return
        }
        let recipe = try recipe(for: model)
        let outputPath = options.output ?? "runs/\(model).safetensors"
        let result = orFail {
            try ModelZoo.train(model, recipe: recipe, batchSize: options.batchSize ?? 128, data: dataset, seed: options.seed,
                               checkpoint: outputPath, showProgressBar: !options.json && primary,
                               callbacks: logging(dataset, description: "\(model): \(recipe)", primary: primary,
                                                  hyperparameters: hyperparameters(recipe, model: model)),
                               communicator: communicator, progress: say)
        }
        if primary { finish(result, outputPath: outputPath, dataset: dataset) }
    }

    /// The recipe and flags of a run, for TensorBoard's HParams dashboard.
    private func hyperparameters(_ recipe: ModelZoo.Recipe, model: String) -> [String: SummaryWriter.HyperparameterValue] {
        // The value as written in the recipe (0.001, not float32's 0.0010000000474974513).
        func decimal(_ f: Float) -> SummaryWriter.HyperparameterValue { .number(Double("\(f)") ?? Double(f)) }
        var h: [String: SummaryWriter.HyperparameterValue] = [
            "model": .string(model), "epochs": .number(Double(recipe.epochs)), "optimizer": .string(recipe.optimizer),
            "learning_rate": decimal(recipe.learningRate), "weight_decay": decimal(recipe.weightDecay),
            "schedule": .string(recipe.schedule), "label_smoothing": decimal(recipe.labelSmoothing),
            "dropout": decimal(recipe.dropout), "augment": .bool(recipe.augment),
            "batch_size": .number(Double(options.batchSize ?? 128)), "seed": .number(Double(options.seed)),
        ]
        if let clip = recipe.clipNorm { h["clip_norm"] = decimal(clip) }
        return h
    }

    /// The TensorBoard and CSV log callbacks the flags ask for (rank 0 alone writes them).
    private func logging(_ dataset: FashionMNIST, description: String, primary: Bool,
                         hyperparameters: [String: SummaryWriter.HyperparameterValue] = [:]) -> [any Callback] {
        var callbacks: [any Callback] = []
        guard primary else { return callbacks }
        if let tensorboard {
            do { try FileManager.default.createDirectory(atPath: tensorboard, withIntermediateDirectories: true) } catch {
                fail("--tensorboard \(tensorboard): cannot create the directory (\((error as NSError).localizedDescription))")
            }
            let samples = dataset.testImages[0..<Swift.min(16, dataset.testImages.shape[0])]
            callbacks.append(TensorBoard(logDirectory: tensorboard, sampleImages: samples.reshaped(to: [samples.shape[0], 1, 28, 28]),
                                         runDescription: description, hyperparameters: hyperparameters))
        }
        if let log {
            guard FileManager.default.createFile(atPath: log, contents: nil) else { fail("--log \(log): cannot create the file") }
            callbacks.append(CSVLogger(path: log))
        }
        return callbacks
    }

    private func finish(_ result: ModelZoo.TrainingResult, outputPath: String, dataset: FashionMNIST) {
        let say = options.say
        if options.json {
            report(["model": result.model, "test_accuracy": result.testAccuracy, "test_loss": result.testLoss,
                    "epoch_seconds": result.epochSeconds, "parameters": result.network.parameterCount(),
                    "checkpoint": outputPath, "data": dataset.directory])
        } else {
            say(String(format: "test accuracy: %.4f (loss %.4f)", result.testAccuracy, result.testLoss))
            say("checkpoint: \(outputPath)")
        }
    }
}

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Evaluate a checkpoint on the Fashion-MNIST test set, or a table model on a CSV table.")

    @Option(help: "A checkpoint written by train (or import).") var checkpoint: String?
    @Option(help: "A PyTorch state_dict (safetensors) to load into the zoo model --model, as load_state_dict(strict=False).")
    var stateDict: String?
    @Option(help: "The zoo model the --state-dict is for (\(ModelZoo.names.joined(separator: ", "))).") var model: String?
    @Option(help: "Directory holding the Fashion-MNIST files.") var data: String?
    @Option(help: "A CSV table with the label column, for a model trained with train --csv.") var csv: String?
    @Option(help: "The label column (default: the one the model was trained on).") var label: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard (checkpoint == nil) != (stateDict == nil) else { throw ValidationError("give --checkpoint F, or --state-dict F with --model NAME") }
        if stateDict != nil {
            guard let model else { throw ValidationError("--state-dict needs --model NAME, the zoo model it was saved from") }
            guard ModelZoo.names.contains(model) else { throw ValidationError("unknown model '\(model)'; choose one of \(ModelZoo.names.joined(separator: ", "))") }
            if csv != nil { throw ValidationError("--state-dict loads a Fashion-MNIST zoo model; --csv does not apply") }
        } else if model != nil {
            throw ValidationError("--model goes with --state-dict")
        }
        if csv != nil && data != nil { throw ValidationError("--data is for Fashion-MNIST; it does not apply with --csv") }
        if label != nil && csv == nil { throw ValidationError("--label needs --csv FILE") }
    }

    func run() throws {
        if let stateDict, let model { return evaluateStateDictionary(stateDict, model: model, data: data, json: json) }
        let checkpoint = checkpoint!
        if let csv {
            evaluateOnTable(checkpoint: checkpoint, csv: csv, label: label, json: json)
            return
        }
        let (network, metadata) = orFail { try loadClassifier(checkpoint) }
        let result = ModelZoo.testMetrics(network, loadFashionMNIST(data))
        if json {
            report(["test_accuracy": result["accuracy"]!, "test_loss": result["loss"]!,
                    "parameters": network.parameterCount(), "model": metadata["model"] ?? "unknown"])
        } else {
            print(String(format: "test accuracy: %.4f (loss %.4f), %d parameters", result["accuracy"]!, result["loss"]!,
                         network.parameterCount()))
        }
    }
}

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify images with a checkpoint, or the rows of a CSV table with a table model.",
        discussion: """
            Input: an IDX image file (optionally .gz), or a CSV file with one image per row of 784 pixel values in 0...255; \
            for a model trained with train --csv, a CSV table with a header whose columns are matched by name (in any order).
            """)

    @Option(help: "A checkpoint written by train.") var checkpoint: String
    @Option(help: "Images: IDX (…-ubyte[.gz]) or CSV.") var input: String
    @Flag(help: "The CSV file has a header line.") var hasHeader = false
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        if orFail({ try Tabular.isTableModel(at: checkpoint) }) {
            if hasHeader { fail("--has-header is for image CSVs; a table always has a header") }
            predictTable(checkpoint: checkpoint, input: input, json: json)
            return
        }
        let network = orFail { try loadClassifier(checkpoint) }.network
        let images = orFail { try ModelZoo.readImages(input, hasHeader: hasHeader) }
        let predictions = ModelZoo.classify(network, images)
        if json {
            report(["predictions": predictions.map(\.label), "classes": predictions.map { FashionMNIST.classNames[$0.label] },
                    "probabilities": predictions.map(\.probability)])
        } else {
            for (i, (c, p)) in predictions.enumerated() {
                print(String(format: "%d\t%d\t%@\t%.3f", i, c, FashionMNIST.classNames[c], p))
            }
        }
    }
}

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary", abstract: "Print a model's layers, output shapes and parameter counts.")

    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model = "mlp"
    @Option(help: "Summarize this checkpoint's network instead, with the bytes each layer takes in the file (sparse or dense).")
    var checkpoint: String?
    @Option(help: "Also draw the model's structure here: .svg or .png (boxes and arrows), .dot (Graphviz).") var graph: String?

    func validate() throws {
        if let checkpoint { try checkReadable(checkpoint, "--checkpoint") }
        if let graph, !["svg", "png", "dot", "gv"].contains((graph as NSString).pathExtension.lowercased()) {
            throw ValidationError("--graph \(graph): the graph must end in .svg, .png or .dot")
        }
    }

    func run() {
        let network = orFail {
            try checkpoint.map { try loadClassifier($0).network } ?? ModelZoo.make(model, dropout: try ModelZoo.recipe(for: model).dropout)
        }
        print(network.summary(inputShape: [784]))
        if let checkpoint { print(orFail { try SizeReport(checkpoint: checkpoint) }.text) }
        if let graph { orFail { try ModelGraph(network, inputShape: [784]).write(to: graph) } }
    }
}
