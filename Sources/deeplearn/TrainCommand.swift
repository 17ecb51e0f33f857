import ArgumentParser
import DeepLearning

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train a model.")
    func run() {}
}
