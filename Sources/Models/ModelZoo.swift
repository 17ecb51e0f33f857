import Datasets
import Layers
import Optimizers

/// The Fashion-MNIST classifiers built by name (`mlp`, `cnn`, `cnn-bn`, `resnet`, `lstm`, `gru`),
/// each with the training recipe `deeplearn train` uses by default.
///
/// ```swift
/// let network = try ModelZoo.make("cnn", dropout: 0.3)   // [N, 784] -> [N, 10]
/// let recipe = try ModelZoo.recipe(for: "cnn")
/// ```
public enum ModelZoo {
    /// A name that is not one of `names`.
    public struct UnknownName: Error, CustomStringConvertible {
        public let kind: String, name: String, choices: [String]
        public var description: String { "unknown \(kind) '\(name)'; choose one of \(choices.joined(separator: ", "))" }
    }

    /// How a zoo model is trained: the defaults of `deeplearn train`, stated in BENCHMARKS.md.
    public struct Recipe: Sendable, Equatable, Codable {
        public var epochs: Int
        public var optimizer: String
        public var learningRate: Float
        public var weightDecay: Float
        public var schedule: String
        public var labelSmoothing: Float
        public var dropout: Float
        public var augment: Bool
        /// Gradients are rescaled to at most this global norm before each step (nil: never).
        public var clipNorm: Float?

        public init(epochs: Int, optimizer: String, learningRate: Float, weightDecay: Float, schedule: String,
                    labelSmoothing: Float, dropout: Float, augment: Bool = false, clipNorm: Float? = nil) {
            (self.epochs, self.optimizer, self.learningRate, self.weightDecay) = (epochs, optimizer, learningRate, weightDecay)
            (self.schedule, self.labelSmoothing, self.dropout, self.augment, self.clipNorm) =
                (schedule, labelSmoothing, dropout, augment, clipNorm)
        }
    }

    /// The augmentations `--augment` applies to 28x28 training images: random horizontal flip
    /// and random crop with 2 pixels of padding.
    /// A recipe that cannot train: each problem names the setting (as the command-line flag).
    public struct RecipeError: Error, CustomStringConvertible {
        public let description: String
    }

    public static let augmentations: [Augmentation] = [.horizontalFlip(), .randomCrop(padding: 2)]

    public static let names = ["mlp", "cnn", "cnn-bn", "resnet", "lstm", "gru"]

    /// The default recipe of each model: stated in `deeplearn train --help` and BENCHMARKS.md.
    public static func recipe(for name: String) throws -> Recipe {
        try check(name)
        switch name {
        case "cnn":
            // 15 epochs of AdamW with a cosine decay, dropout 0.3 before and after the hidden dense layer.
            return Recipe(epochs: 15, optimizer: "adamw", learningRate: 1e-3, weightDecay: 1e-4, schedule: "cosine",
                          labelSmoothing: 0, dropout: 0.3)
        case "cnn-bn":
            // 30 epochs of AdamW with a cosine decay, label smoothing 0.1, dropout 0.2 before and
            // after the hidden dense layer, augmentation.
            return Recipe(epochs: 30, optimizer: "adamw", learningRate: 1e-3, weightDecay: 5e-4, schedule: "cosine",
                          labelSmoothing: 0.1, dropout: 0.2, augment: true)
        case "resnet":
            // 20 epochs of AdamW (decay 0.01, PyTorch's default) with a cosine decay, label
            // smoothing 0.1, augmentation; the network has no dropout.
            return Recipe(epochs: 20, optimizer: "adamw", learningRate: 2e-3, weightDecay: 1e-2, schedule: "cosine",
                          labelSmoothing: 0.1, dropout: 0, augment: true)
        case "lstm", "gru":
            // 20 epochs of Adam at 2e-3 with a cosine decay, gradients clipped to norm 1.
            return Recipe(epochs: 20, optimizer: "adam", learningRate: 2e-3, weightDecay: 0, schedule: "cosine",
                          labelSmoothing: 0, dropout: 0, clipNorm: 1)
        default:
            // MLP: AdamW (decay 1e-4) at 1e-3 with a cosine decay to zero over 20 epochs, batch 128,
            // dropout 0.2 after each hidden layer.
            return Recipe(epochs: 20, optimizer: "adamw", learningRate: 1e-3, weightDecay: 1e-4, schedule: "cosine",
                          labelSmoothing: 0, dropout: 0.2)
        }
    }

    /// The network; `dropout` > 0 adds dropout where each model's recipe puts it.
    ///
    /// Shape: flattened 28x28 images `[N, 784]` -> logits `[N, 10]`.
    public static func make(_ name: String, dropout: Float = 0) throws -> any Layer {
        try check(name)
        switch name {
        case "mlp":
            // The Fashion-MNIST benchmark's MLP: 784-256-128-10 with ReLU.
            return Sequential {
                Linear(784, 256)
                ReLU()
                if dropout > 0 { Dropout(rate: dropout) }
                Linear(256, 128)
                ReLU()
                if dropout > 0 { Dropout(rate: dropout) }
                Linear(128, 10)
            }
        case "cnn", "cnn-bn":
            // "2 Conv+pooling": Conv 32 3x3 same, ReLU, MaxPool 2, Conv 64 3x3 same, ReLU, MaxPool 2,
            // Dense 128 ReLU, Dense 10; cnn-bn adds batch norm after each convolution and the dense layer.
            let bn = name == "cnn-bn"
            return Sequential {
                Reshape([1, 28, 28])
                Conv2D(1, 32, kernelSize: 3, padding: .same, bias: !bn)
                if bn { BatchNorm(32) }
                ReLU()
                MaxPool2D(2)
                Conv2D(32, 64, kernelSize: 3, padding: .same, bias: !bn)
                if bn { BatchNorm(64) }
                ReLU()
                MaxPool2D(2)
                Flatten()
                if dropout > 0 { Dropout(rate: dropout) }
                Linear(64 * 7 * 7, 128)
                if bn { BatchNorm(128) }
                ReLU()
                if dropout > 0 { Dropout(rate: dropout) }
                Linear(128, 10)
            }
        case "resnet":
            // A 3x3 stem of 32 channels, then one residual block per stage: 28x28 (32 channels),
            // 14x14 (64) and 7x7 (128); global average pooling, Dense 10 (ResNet-8-like, 0.31M
            // parameters). Two blocks per stage would train twice as slowly on 2 cores.
            return Sequential {
                Reshape([1, 28, 28])
                makeResNet(inChannels: 1, classes: 10, width: 32, blocksPerStage: [1, 1, 1])
            }
        default:
            // Digits read row by row: 28 steps of 28 features, one recurrent layer of 128 whose
            // last state feeds Dense 10.
            return Sequential {
                Reshape([28, 28])
                if name == "lstm" { LSTM(28, 128) } else { GRU(28, 128) }
                Linear(128, 10)
            }
        }
    }

    static func check(_ name: String) throws {
        guard names.contains(name) else { throw UnknownName(kind: "model", name: name, choices: names) }
    }

    public static let optimizerNames = ["adam", "adamw", "sgd", "rmsprop", "adagrad"]

    /// The optimizer `name` (one of `optimizerNames`) over `parameters`; SGD gets Nesterov momentum 0.9.
    public static func optimizer(_ name: String, parameters: [Parameter], learningRate: Float, weightDecay: Float) throws
        -> any Optimizer
    {
        switch name {
        case "adam": return Adam(parameters, learningRate: learningRate, weightDecay: weightDecay)
        case "adamw": return AdamW(parameters, learningRate: learningRate, weightDecay: weightDecay)
        case "sgd": return SGD(parameters, learningRate: learningRate, momentum: 0.9, nesterov: true, weightDecay: weightDecay)
        case "rmsprop": return RMSprop(parameters, learningRate: learningRate, weightDecay: weightDecay)
        case "adagrad": return Adagrad(parameters, learningRate: learningRate, weightDecay: weightDecay)
        default: throw UnknownName(kind: "optimizer", name: name, choices: optimizerNames)
        }
    }
}

extension ModelZoo.Recipe {
    /// Throws unless every setting can train: epochs in 1...1,000,000, a known optimizer and
    /// schedule, a finite learning rate > 0, weight decay >= 0, label smoothing and dropout in
    /// [0, 1), a clipping norm > 0. The messages name the command-line flags.
    public func validate() throws {
        func fail(_ message: String) -> ModelZoo.RecipeError { ModelZoo.RecipeError(description: message) }
        guard (1...1_000_000).contains(epochs) else { throw fail("--epochs must be in 1...1000000, got \(epochs)") }
        guard ModelZoo.optimizerNames.contains(optimizer) else {
            throw fail("unknown optimizer '\(optimizer)'; choose one of \(ModelZoo.optimizerNames.joined(separator: ", "))")
        }
        guard ["cosine", "constant"].contains(schedule) else { throw fail("unknown schedule '\(schedule)'; choose cosine or constant") }
        guard learningRate.isFinite, learningRate > 0 else { throw fail("--learning-rate must be a finite number > 0, got \(learningRate)") }
        guard weightDecay.isFinite, weightDecay >= 0 else { throw fail("--weight-decay must be a finite number >= 0, got \(weightDecay)") }
        guard (0..<1).contains(labelSmoothing) else { throw fail("--label-smoothing must be in [0, 1), got \(labelSmoothing)") }
        guard (0..<1).contains(dropout) else { throw fail("--dropout must be in [0, 1), got \(dropout)") }
        if let clipNorm, !(clipNorm.isFinite && clipNorm > 0) { throw fail("the gradient clipping norm must be finite and > 0, got \(clipNorm)") }
    }
}
