import DeepLearning

/// The models `deeplearn` builds by name, each with the training recipe `train` uses by default.
enum ModelZoo {
    struct Recipe {
        var epochs: Int
        var optimizer: String
        var learningRate: Float
        var weightDecay: Float
        var schedule: String
        var labelSmoothing: Float
        var dropout: Float
    }

    static let names = ["mlp"]

    /// MLP: AdamW (decay 1e-4) at 1e-3 with a cosine decay to zero over 20 epochs, batch 128,
    /// dropout 0.2 after each hidden layer.
    static func recipe(for name: String) -> Recipe {
        Recipe(epochs: 20, optimizer: "adamw", learningRate: 1e-3, weightDecay: 1e-4, schedule: "cosine",
               labelSmoothing: 0, dropout: 0.2)
    }

    /// The network; `dropout` > 0 adds Dropout after each hidden activation.
    static func make(_ name: String, dropout: Float = 0) -> any Layer {
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
        default:
            preconditionFailure("ModelZoo: unknown model \(name)")
        }
    }

    static let optimizerNames = ["adam", "adamw", "sgd", "rmsprop", "adagrad"]

    static func optimizer(_ name: String, parameters: [Parameter], learningRate: Float, weightDecay: Float) -> any Optimizer {
        switch name {
        case "adam": return Adam(parameters, learningRate: learningRate, weightDecay: weightDecay)
        case "adamw": return AdamW(parameters, learningRate: learningRate, weightDecay: weightDecay)
        case "sgd": return SGD(parameters, learningRate: learningRate, momentum: 0.9, nesterov: true, weightDecay: weightDecay)
        case "rmsprop": return RMSprop(parameters, learningRate: learningRate, weightDecay: weightDecay)
        case "adagrad": return Adagrad(parameters, learningRate: learningRate, weightDecay: weightDecay)
        default: preconditionFailure("ModelZoo: unknown optimizer \(name)")
        }
    }
}
