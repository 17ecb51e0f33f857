import DeepLearning

/// The models `deeplearn` can build by name.
enum ModelZoo {
    static let names = ["mlp"]

    static func make(_ name: String) -> any Layer {
        switch name {
        case "mlp":
            // The Fashion-MNIST benchmark's MLP: 784-256-128-10 with ReLU.
            return Sequential {
                Linear(784, 256)
                ReLU()
                Linear(256, 128)
                ReLU()
                Linear(128, 10)
            }
        default:
            preconditionFailure("ModelZoo: unknown model \(name)")
        }
    }
}
