import ArgumentParser
import DeepLearning
import Foundation

/// Digit strings for the sequence-to-sequence tasks. Ids: 0 padding, 1 start, 2 end, digit d is d + 3.
struct DigitTask {
    static let vocabularySize = 13
    let task: String
    let lengths: ClosedRange<Int>

    func randomSource(using generator: inout RandomGenerator) -> [Int] {
        let length = lengths.lowerBound + Int(generator.next() % UInt64(lengths.count))
        return (0..<length).map { _ in 3 + Int(generator.next() % 10) }
    }

    func target(_ source: [Int]) -> [Int] { task == "reverse" ? source.reversed() : source.sorted() }

    /// Sources `[N, S]` with lengths, decoder inputs `[N, T]` (start + target) and labels `[N, T]`
    /// (target + end, padding 0), T = longest target + 1.
    func batch(_ sources: [[Int]]) -> (sources: Tensor, lengths: [Int], inputs: Tensor, labels: Tensor) {
        let s = sources.map(\.count).max()!, t = s + 1
        func pad(_ x: [Int], _ n: Int) -> [Int] { x + Array(repeating: 0, count: n - x.count) }
        let targets = sources.map(target)
        return (Tensor(integers: sources.flatMap { pad($0, s) }, shape: [sources.count, s]), sources.map(\.count),
                Tensor(integers: targets.flatMap { pad([1] + $0, t) }, shape: [sources.count, t]),
                Tensor(integers: targets.flatMap { pad($0 + [2], t) }, shape: [sources.count, t]))
    }
}

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
    @Option(help: "Optimizer steps.") var steps = 1000
    @Option(help: "Strings per step.") var batchSize = 64
    @Option(help: "Peak learning rate.") var learningRate: Float = 2e-3
    @Option(help: "Beam width for the beam-search evaluation.") var beamWidth = 4
    @Option(help: "Test strings decoded by beam search as well (beam search runs one string at a time).") var beamExamples = 200
    @Option(help: "Seed for initialization and data.") var seed: UInt64 = 0
    @Flag(help: "Print one JSON object at the end instead of progress.") var json = false

    func validate() throws {
        guard ["reverse", "sort"].contains(task) else { throw ValidationError("unknown task '\(task)'; choose reverse or sort") }
        guard steps > 0, batchSize > 0, beamWidth > 0, beamExamples >= 0 else {
            throw ValidationError("--steps, --batch-size and --beam-width must be positive, --beam-examples at least 0")
        }
        guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive, got \(learningRate)") }
    }

    func run() {
        let data = DigitTask(task: task, lengths: 5...12)
        var testGenerator = RandomGenerator(seed: seed &+ 1000)
        let test = (0..<1000).map { _ in data.randomSource(using: &testGenerator) }
        let held = Set(test)
        let say: (String) -> Void = json ? { _ in } : { print($0); fflush(nil) }

        Random.seed(seed)
        let model = AttentionSeq2Seq(sourceVocabulary: DigitTask.vocabularySize, targetVocabulary: DigitTask.vocabularySize)
        say("\(model) — \(model.parameterCount()) parameters; task \(task), strings of 5-12 digits")
        let optimizer = Adam(model.trainableParameters, learningRate: learningRate)
        let schedule = CosineDecay(initial: learningRate, totalSteps: steps, warmupSteps: min(100, steps / 10))
        var generator = RandomGenerator(seed: seed &+ 1)
        let start = Date()
        var recent: [Float] = []
        for step in 0..<steps {
            optimizer.learningRate = schedule.learningRate(at: step)
            var sources: [[Int]] = []
            while sources.count < batchSize {
                let s = data.randomSource(using: &generator)
                if !held.contains(s) { sources.append(s) }
            }
            let batch = data.batch(sources)
            let logits = model(batch.sources, lengths: batch.lengths, decoderInputs: batch.inputs)
            let labels = batch.labels.reshaped(to: [batch.labels.scalarCount])
            let perToken = crossEntropy(logits: logits.reshaped(to: [labels.scalarCount, DigitTask.vocabularySize]), labels: labels,
                                        reduction: .none)
            let mask = Tensor(labels.integers.map { $0 == 0 ? 0 : 1 })
            let loss = (perToken * mask).sum() / mask.sum()
            optimizer.zeroGrad()
            loss.backward()
            clipGradients(optimizer.parameters, maxNorm: 1)
            optimizer.step()
            recent.append(loss.scalar)
            if (step + 1) % 250 == 0 {
                let quick = exactMatch(model, data, Array(test.prefix(200)))
                say("step \(step + 1)/\(steps) — loss \(String(format: "%.4f", recent.reduce(0, +) / Float(recent.count))), "
                    + "greedy exact match on 200 test strings \(String(format: "%.3f", quick)) — \(Int(Date().timeIntervalSince(start)))s")
                recent.removeAll()
            }
        }
        let seconds = Date().timeIntervalSince(start)
        let greedy = exactMatch(model, data, test)
        let beamSet = Array(test.prefix(beamExamples))
        let beam = beamSet.isEmpty ? Float.nan
            : Float(beamSet.filter { model.beamSearch($0, width: beamWidth, maxLength: $0.count + 1) == data.target($0) }.count)
                / Float(beamSet.count)
        let example = test[0]
        func digits(_ ids: [Int]) -> String { ids.map { $0 >= 3 ? String($0 - 3) : "?" }.joined() }
        say("exact match: greedy \(String(format: "%.4f", greedy)) on \(test.count) held-out strings, "
            + "beam search (width \(beamWidth)) \(String(format: "%.4f", beam)) on \(beamSet.count); \(Int(seconds))s of training")
        say("example: \(digits(example)) -> \(digits(model.beamSearch(example, width: beamWidth, maxLength: example.count + 1)))")
        if json {
            printJSON(["task": task, "exact_match": greedy, "beam_exact_match": beam, "beam_width": beamWidth,
                       "beam_examples": beamSet.count, "test_strings": test.count, "steps": steps, "seconds": seconds])
        }
    }

    /// The share of `sources` whose greedy decoding is exactly the target.
    func exactMatch(_ model: AttentionSeq2Seq, _ data: DigitTask, _ sources: [[Int]]) -> Float {
        var correct = 0
        for first in stride(from: 0, to: sources.count, by: 250) {
            let chunk = Array(sources[first..<min(first + 250, sources.count)])
            let batch = data.batch(chunk)
            let decoded = model.greedyDecode(batch.sources, lengths: batch.lengths, maxLength: batch.sources.shape[1] + 1)
            correct += zip(decoded, chunk).filter { $0 == data.target($1) }.count
        }
        return Float(correct) / Float(sources.count)
    }
}
