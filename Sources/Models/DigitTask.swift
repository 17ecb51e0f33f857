import Foundation
import Layers
import Optimizers
import TensorCore

/// Digit strings for the sequence-to-sequence tasks: reverse or sort strings of random digits.
/// Ids: 0 padding, 1 start, 2 end, digit d is d + 3.
///
/// ```swift
/// let task = DigitTask(task: "reverse")
/// let result = task.train(steps: 1000)   // result.exactMatch: greedy, on 1,000 held-out strings
/// ```
public struct DigitTask: Sendable {
    public static let vocabularySize = 13
    public static let tasks = ["reverse", "sort"]
    public let task: String
    public let lengths: ClosedRange<Int>

    /// `task` is `reverse` or `sort`; strings have `lengths` digits.
    public init(task: String, lengths: ClosedRange<Int> = 5...12) {
        require(Self.tasks.contains(task), "DigitTask: unknown task '\(task)'; choose reverse or sort")
        self.task = task
        self.lengths = lengths
    }

    public func randomSource(using generator: inout RandomGenerator) -> [Int] {
        let length = lengths.lowerBound + Int(generator.next() % UInt64(lengths.count))
        return (0..<length).map { _ in 3 + Int(generator.next() % 10) }
    }

    /// The answer for `source`: reversed or sorted.
    public func target(_ source: [Int]) -> [Int] { task == "reverse" ? source.reversed() : source.sorted() }

    /// Sources `[N, S]` with lengths, decoder inputs `[N, T]` (start + target) and labels `[N, T]`
    /// (target + end, padding 0), T = longest target + 1.
    public func batch(_ sources: [[Int]]) -> (sources: Tensor, lengths: [Int], inputs: Tensor, labels: Tensor) {
        let s = sources.map(\.count).max()!, t = s + 1
        func pad(_ x: [Int], _ n: Int) -> [Int] { x + Array(repeating: 0, count: n - x.count) }
        let targets = sources.map(target)
        return (Tensor(integers: sources.flatMap { pad($0, s) }, shape: [sources.count, s]), sources.map(\.count),
                Tensor(integers: targets.flatMap { pad([1] + $0, t) }, shape: [sources.count, t]),
                Tensor(integers: targets.flatMap { pad($0 + [2], t) }, shape: [sources.count, t]))
    }

    /// The 1,000 held-out test strings of `seed` (never drawn for training).
    public func testSources(seed: UInt64) -> [[Int]] {
        var generator = RandomGenerator(seed: seed &+ 1000)
        return (0..<1000).map { _ in randomSource(using: &generator) }
    }

    /// What `train` produced.
    public struct TrainingResult {
        public let model: AttentionSeq2Seq
        /// Greedy exact match on the 1,000 test strings; beam-search exact match on the first `beamExamples`.
        public let exactMatch: Float, beamExactMatch: Float
        public let testStrings: Int, beamExamples: Int
        public let seconds: Double
        /// Each step's training loss.
        public let losses: [Float]
        /// The first test string and the model's beam-search answer.
        public let example: (source: [Int], answer: [Int])
    }

    /// Trains an attention encoder-decoder with teacher forcing on freshly drawn strings (never one
    /// of the held-out test strings), Adam and a cosine decay, gradients clipped to norm 1; reports
    /// exact match of greedy decoding on the test strings and of beam search on the first
    /// `beamExamples` of them. `progress` receives a line every 250 steps.
    public func train(
        steps: Int, batchSize: Int = 64, learningRate: Float = 2e-3, beamWidth: Int = 4, beamExamples: Int = 200,
        hiddenSize: Int = 128, seed: UInt64 = 0, progress: (String) -> Void = { _ in }
    ) -> TrainingResult {
        let test = testSources(seed: seed)
        let held = Set(test)
        Random.seed(seed)
        let model = AttentionSeq2Seq(sourceVocabulary: Self.vocabularySize, targetVocabulary: Self.vocabularySize,
                                     hiddenSize: hiddenSize)
        progress("\(model) — \(model.parameterCount()) parameters; task \(task), strings of \(lengths.lowerBound)-\(lengths.upperBound) digits")
        let optimizer = Adam(model.trainableParameters, learningRate: learningRate)
        let schedule = CosineDecay(initial: learningRate, totalSteps: steps, warmupSteps: min(100, steps / 10))
        var generator = RandomGenerator(seed: seed &+ 1)
        let start = Date()
        var losses: [Float] = []
        for step in 0..<steps {
            optimizer.learningRate = schedule.learningRate(at: step)
            var sources: [[Int]] = []
            while sources.count < batchSize {
                let s = randomSource(using: &generator)
                if !held.contains(s) { sources.append(s) }
            }
            let loss = model.teacherForcedLoss(batch(sources))
            optimizer.zeroGrad()
            loss.backward()
            clipGradients(optimizer.parameters, maxNorm: 1)
            optimizer.step()
            losses.append(loss.scalar)
            if (step + 1) % 250 == 0 {
                let recent = losses.suffix(250)
                let quick = exactMatch(model, Array(test.prefix(200)))
                progress("step \(step + 1)/\(steps) — loss \(String(format: "%.4f", recent.reduce(0, +) / Float(recent.count))), "
                    + "greedy exact match on 200 test strings \(String(format: "%.3f", quick)) — \(Int(Date().timeIntervalSince(start)))s")
            }
        }
        let seconds = Date().timeIntervalSince(start)
        let greedy = exactMatch(model, test)
        let beamSet = Array(test.prefix(beamExamples))
        let beam = beamSet.isEmpty ? Float.nan
            : Float(beamSet.filter { model.beamSearch($0, width: beamWidth, maxLength: $0.count + 1) == target($0) }.count)
                / Float(beamSet.count)
        return TrainingResult(model: model, exactMatch: greedy, beamExactMatch: beam, testStrings: test.count,
                              beamExamples: beamSet.count, seconds: seconds, losses: losses,
                              example: (test[0], model.beamSearch(test[0], width: beamWidth, maxLength: test[0].count + 1)))
    }

    /// The share of `sources` whose greedy decoding is exactly the target.
    public func exactMatch(_ model: AttentionSeq2Seq, _ sources: [[Int]]) -> Float {
        var correct = 0
        for first in stride(from: 0, to: sources.count, by: 250) {
            let chunk = Array(sources[first..<min(first + 250, sources.count)])
            let b = batch(chunk)
            let decoded = model.greedyDecode(b.sources, lengths: b.lengths, maxLength: b.sources.shape[1] + 1)
            correct += zip(decoded, chunk).filter { $0 == target($1) }.count
        }
        return Float(correct) / Float(sources.count)
    }

    /// Digits as text, `?` for the special ids.
    public static func digits(_ ids: [Int]) -> String { ids.map { $0 >= 3 ? String($0 - 3) : "?" }.joined() }
}

extension AttentionSeq2Seq {
    /// Mean cross-entropy of the teacher-forced logits over the non-padding labels of `batch`
    /// (as made by `DigitTask.batch`).
    public func teacherForcedLoss(_ batch: (sources: Tensor, lengths: [Int], inputs: Tensor, labels: Tensor)) -> Tensor {
        let logits = self(batch.sources, lengths: batch.lengths, decoderInputs: batch.inputs)
        let labels = batch.labels.reshaped(to: [batch.labels.scalarCount])
        let vocabulary = logits.shape[logits.rank - 1]
        let perToken = crossEntropy(logits: logits.reshaped(to: [labels.scalarCount, vocabulary]), labels: labels, reduction: .none)
        let mask = Tensor(labels.integers.map { $0 == 0 ? 0 : 1 })
        return (perToken * mask).sum() / mask.sum()
    }
}
