import ArgumentParser
import DeepLearning
import Foundation

struct Seq2SeqCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seq2seq",
        abstract: "Train an attention encoder-decoder to reverse or sort digit strings; report exact match on held-out strings.",
        discussion: """
            Strings of 5 to 12 random digits. A bidirectional GRU encoder and a GRU decoder with additive (Bahdanau) \
            attention, trained with teacher forcing on freshly drawn strings (never one of the 1,000 held-out test \
            strings) with Adam and a cosine decay, gradients clipped to norm 1. Reports the exact-match accuracy of \
            greedy decoding on the 1,000 test strings and of beam search on the first --beam-examples of them.
            """)

    @Option(help: "reverse or sort.") var task = "reverse"
    @Option(parsing: .unconditional, help: "Optimizer steps.") var steps = 1000
    @Option(parsing: .unconditional, help: "Strings per step.") var batchSize = 64
    @Option(parsing: .unconditional, help: "Peak learning rate.") var learningRate: Float = 2e-3
    @Option(parsing: .unconditional, help: "Beam width for the beam-search evaluation.") var beamWidth = 4
    @Option(parsing: .unconditional, help: "Test strings decoded by beam search as well (beam search runs one string at a time).") var beamExamples = 200
    @Option(parsing: .unconditional, help: "Seed for initialization and data.") var seed: UInt64 = 0
    @Flag(help: "Print one JSON object at the end instead of progress.") var json = false

    func validate() throws {
        guard DigitTask.tasks.contains(task) else { throw ValidationError("unknown task '\(task)'; choose reverse or sort") }
        try check(steps, in: 1...10_000_000, "--steps")
        try check(batchSize, in: 1...65_536, "--batch-size")
        try check(beamWidth, in: 1...256, "--beam-width")
        try check(beamExamples, in: 0...100_000, "--beam-examples")
        guard learningRate.isFinite, learningRate > 0 else { throw ValidationError("--learning-rate must be a finite number > 0, got \(learningRate)") }
    }

    func run() {
        let say: (String) -> Void = json ? { _ in } : { print($0); fflush(nil) }
        let result = DigitTask(task: task).train(steps: steps, batchSize: batchSize, learningRate: learningRate, beamWidth: beamWidth,
                                                 beamExamples: beamExamples, seed: seed, progress: say)
        say("exact match: greedy \(String(format: "%.4f", result.exactMatch)) on \(result.testStrings) held-out strings, "
            + "beam search (width \(beamWidth)) \(String(format: "%.4f", result.beamExactMatch)) on \(result.beamExamples); "
            + "\(Int(result.seconds))s of training")
        say("example: \(DigitTask.digits(result.example.source)) -> \(DigitTask.digits(result.example.answer))")
        if json {
            report(["task": task, "exact_match": result.exactMatch, "beam_exact_match": result.beamExactMatch, "beam_width": beamWidth,
                    "beam_examples": result.beamExamples, "test_strings": result.testStrings, "steps": steps, "seconds": result.seconds])
        }
    }
}
