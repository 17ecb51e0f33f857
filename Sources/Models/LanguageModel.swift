import Foundation
import Layers
import TensorCore

/// Next-token models over integer ids: `[N, L]` ids -> `[N, L, vocabulary]` logits, the logits
/// at position t depending only on ids 0...t.
public protocol LanguageModel: Layer {
    var vocabularySize: Int { get }
    /// The longest context the model takes (positions it has encodings for), nil if unbounded.
    var maxContext: Int? { get }

    /// Mean bits per token of `ids` read as one text, each token predicted from as much of the
    /// text before it as the model takes: a recurrent model carries its state through the text,
    /// a windowed one slides its window by half its context. `batchSize` sequences run at once.
    func bitsPerToken(text ids: [Int], batchSize: Int) -> Float

    /// Continues `prompt` by `count` ids, each drawn from the softmax of the next-token logits
    /// divided by `temperature` (0 picks the most likely).
    func sample(prompt: [Int], count: Int, temperature: Float, using generator: inout RandomGenerator) -> [Int]
}

extension LanguageModel {
    /// Mean next-token cross-entropy in bits of `targets` given `inputs` (both `[N, L]` ids).
    public func bitsPerToken(inputs: Tensor, targets: Tensor) -> Float {
        withoutGradients { Float(tokenBits(self(inputs), targets: targets.integers).reduce(0, +) / Double(targets.scalarCount)) }
    }

    /// Slides a window of `maxContext` (256 if unbounded) ids by half its length; each window
    /// scores only the ids the previous one did not, so past the first window every id is
    /// predicted from at least half a context.
    public func bitsPerToken(text ids: [Int], batchSize: Int) -> Float {
        let length = Swift.min(maxContext ?? 256, ids.count - 1)
        require(length > 0 && batchSize > 0, "bitsPerToken: need at least 2 ids and batchSize > 0")
        let hop = Swift.max(1, length / 2)
        var starts = Array(stride(from: 0, through: ids.count - 1 - length, by: hop))
        if starts.last! + length < ids.count - 1 { starts.append(ids.count - 1 - length) }
        var bits: Double = 0
        var scoredThrough = 0  // ids[1...scoredThrough] are scored
        withoutGradients {
            for group in stride(from: 0, to: starts.count, by: batchSize).map({ Array(starts[$0..<Swift.min($0 + batchSize, starts.count)]) }) {
                let logits = self(Tensor(integers: group.flatMap { ids[$0..<($0 + length)] }, shape: [group.count, length]))
                // Position j of a window predicts ids[start + j + 1].
                let windowBits = tokenBits(logits, targets: group.flatMap { ids[($0 + 1)...($0 + length)] })
                for (w, start) in group.enumerated() {
                    bits += windowBits[(w * length + scoredThrough - start)..<((w + 1) * length)].reduce(0, +)
                    scoredThrough = start + length
                }
            }
        }
        return Float(bits / Double(ids.count - 1))
    }

    /// Feeds the latest `maxContext` ids (all of them if unbounded) for every new id.
    public func sample(prompt: [Int], count: Int, temperature: Float, using generator: inout RandomGenerator) -> [Int] {
        require(!prompt.isEmpty, "sample: the prompt must hold at least one id")
        require(temperature >= 0, "sample: temperature must be at least 0, got \(temperature)")
        var ids = prompt
        withoutGradients {
            for _ in 0..<count {
                let context = maxContext.map { Array(ids.suffix($0)) } ?? ids
                let logits = self(Tensor(integers: context, shape: [1, context.count]))
                ids.append(drawToken(lastLogits(logits), temperature: temperature, using: &generator))
            }
        }
        return ids
    }
}

/// `-log2 softmax(logits)[target]` for each row of `logits` (`[..., vocabulary]`), one row per
/// target, from `crossEntropy`.
func tokenBits(_ logits: Tensor, targets: [Int]) -> [Double] {
    let vocabulary = logits.shape[logits.rank - 1]
    require(logits.scalarCount == targets.count * vocabulary,
                 "bitsPerToken: logits \(logits.shape) do not match \(targets.count) targets")
    let nats = crossEntropy(logits: logits.reshaped(to: [targets.count, vocabulary]),
                            labels: Tensor(integers: targets, shape: [targets.count]), reduction: .none)
    return nats.scalars.map { Double($0) / Foundation.log(2.0) }
}

/// The logits of the last position of `[1, L, vocabulary]` logits.
func lastLogits(_ logits: Tensor) -> [Float] {
    logits.sliced(along: 1, from: logits.shape[1] - 1).reshaped(to: [logits.shape[2]]).scalars
}

/// An id drawn from `softmax(logits / temperature)`; the most likely one at temperature 0.
func drawToken(_ logits: [Float], temperature: Float, using generator: inout RandomGenerator) -> Int {
    if temperature == 0 { return logits.indices.max { logits[$0] < logits[$1] }! }
    let top = logits.max()!
    let weights = logits.map { Foundation.exp(Double($0 - top) / Double(temperature)) }
    var u = Double(generator.nextUnitFloat()) * weights.reduce(0, +)
    for (i, w) in weights.enumerated() {
        u -= w
        if u < 0 { return i }
    }
    return weights.count - 1
}
