import ArgumentParser

/// `deeplearn`: train, evaluate and benchmark models from the command line.
@main
struct DeepLearnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deeplearn",
        abstract: "Train, evaluate and benchmark neural networks written with swift-deep-learning.",
        subcommands: [TrainCommand.self, BenchCommand.self])
}
