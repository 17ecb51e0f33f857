import ArgumentParser
import Foundation

/// `deeplearn`: train, evaluate and benchmark models from the command line.
@main
struct DeepLearnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deeplearn",
        abstract: "Train, evaluate and benchmark neural networks written with swift-deep-learning.",
        subcommands: [TrainCommand.self, EvaluateCommand.self, PredictCommand.self, CrossValidateCommand.self, ExportCommand.self, ImportCommand.self, SummaryCommand.self, PlotCommand.self, LanguageModelCommand.self, Seq2SeqCommand.self, RLCommand.self, GenerateCommand.self, CompressCommand.self, BenchCommand.self])

    /// Like ArgumentParser's, but a bad argument prints one line (`deeplearn: ...`), not the usage.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }   // --help, --version
            fail(message(for: error))
        }
    }
}
