// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "swift-deep-learning",
    products: [
        .library(name: "DeepLearning", targets: ["DeepLearning"]),
        .executable(name: "deeplearn", targets: ["deeplearn"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // AVX2 + FMA versions of the hottest elementwise loops, chosen at run time (C: Swift has no
        // per-function target attributes, and the package keeps the baseline x86-64 target).
        .target(name: "CSIMD"),
        // Kernels over raw contiguous buffers; knows nothing about tensors or autodiff.
        .target(name: "CPUBackend", dependencies: ["CSIMD"]),
        // Tensor, DType, Shape, random numbers, the primitive ops and the autodiff tape.
        .target(name: "TensorCore", dependencies: ["CPUBackend"]),
        // Dataset readers (IDX, Fashion-MNIST with a bundled sample, text with a bundled corpus), batching.
        .target(name: "Datasets", dependencies: ["TensorCore"],
                resources: [.copy("Resources/fashion-mnist-sample"), .copy("Resources/shakespeare")]),
        // Layer protocol, layers, initializers, losses.
        .target(name: "Layers", dependencies: ["TensorCore"]),
        // SGD, Adagrad, RMSprop, Adam, AdamW.
        .target(name: "Optimizers", dependencies: ["Layers"]),
        // The ecosystem's file formats: safetensors.
        .target(name: "Interop", dependencies: ["Layers", "TensorCore"]),
        // Data-parallel training: communicators (Open MPI loaded at run time, threads for tests),
        // the gradient all-reduce in buckets during backward.
        .target(name: "Distributed", dependencies: ["Layers", "TensorCore"]),
        // Reinforcement learning: environments with Gymnasium's conventions and dynamics.
        .target(name: "Reinforcement", dependencies: ["TensorCore", "Layers", "Optimizers"]),
        // Generative models: autoencoders, the VAE, GANs, and the scores of what they make.
        .target(name: "Generative", dependencies: ["TensorCore", "Layers", "Optimizers", "Datasets", "Training", "Models", "Interop"]),
        // compile/fit/evaluate/predict, callbacks, metrics, progress, checkpoints.
        // Compression: pruning (unstructured and structured), sparse storage, distillation.
        .target(name: "Compression", dependencies: ["TensorCore", "Layers", "Optimizers", "Datasets", "Training", "Models", "Interop"]),
        .target(name: "Training", dependencies: ["Layers", "Optimizers", "Datasets", "Interop", "Distributed"]),
        // Assembled networks with their recipes and the loops that train them: the model zoo,
        // character language models, the attention seq2seq and its digit tasks.
        .target(name: "Models", dependencies: ["Layers", "Optimizers", "Datasets", "Training", "Interop"]),
        // Umbrella: `import DeepLearning` brings in every public target.
        .target(name: "DeepLearning", dependencies: ["TensorCore", "Datasets", "Layers", "Optimizers", "Interop", "Distributed", "Training", "Models", "Reinforcement", "Generative", "Compression"]),
        .executableTarget(
            name: "deeplearn",
            dependencies: [
                "DeepLearning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Small programs a newcomer copies from; CI builds and runs them, so they cannot drift from the API.
        .executableTarget(name: "keras-style-example", dependencies: ["DeepLearning"], path: "Examples/KerasStyle"),
        .executableTarget(name: "pytorch-style-example", dependencies: ["DeepLearning"], path: "Examples/PyTorchStyle"),
        .executableTarget(name: "custom-layer-example", dependencies: ["DeepLearning"], path: "Examples/CustomLayer"),
        .executableTarget(name: "keras-classic-example", dependencies: ["DeepLearning"], path: "Examples/KerasClassic"),
        .executableTarget(name: "fine-tune-example", dependencies: ["DeepLearning"], path: "Examples/FineTune"),
        .executableTarget(name: "multi-task-example", dependencies: ["DeepLearning"], path: "Examples/MultiTask"),
        .executableTarget(name: "own-data-example", dependencies: ["DeepLearning"], path: "Examples/OwnData", exclude: ["iris.csv"]),
        // The seeded mutation fuzzer over every file the command-line tool reads (Fuzz/README.md).
        // A single-file tool whose worker threads share counters under a lock: Swift 5 mode.
        .executableTarget(name: "deeplearn-fuzz", dependencies: ["DeepLearning"], path: "Fuzz/Sources",
                          swiftSettings: [.swiftLanguageMode(.v5)]),
        // expectClose, gradcheck: shared by the test targets.
        .target(name: "TestSupport", dependencies: ["TensorCore"]),
        .testTarget(name: "CPUBackendTests", dependencies: ["CPUBackend", "CSIMD"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"], exclude: ["Fixtures"]),
        .testTarget(name: "LayersTests", dependencies: ["Layers", "Optimizers", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Interop", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed", "Training", "CPUBackend", "TestSupport"]),
        .testTarget(name: "ReinforcementTests", dependencies: ["Reinforcement", "TensorCore", "Layers"]),
        .testTarget(name: "InteropTests", dependencies: ["Interop", "Layers", "TensorCore"], exclude: ["Fixtures"]),
        .testTarget(name: "GenerativeTests", dependencies: ["Generative", "TestSupport"]),
        .testTarget(name: "CompressionTests", dependencies: ["Compression", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Reinforcement", "Generative", "TestSupport"]),
        .testTarget(name: "OptimizersTests", dependencies: ["Optimizers", "TestSupport"], exclude: ["Fixtures"]),
    ]
)
