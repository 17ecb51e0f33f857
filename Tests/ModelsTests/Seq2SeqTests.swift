import Layers
import Models
import TensorCore
import Testing

@Suite struct Seq2SeqTests {
    let model = Random.withSeed(0) { AttentionSeq2Seq(sourceVocabulary: 9, targetVocabulary: 7, embeddingDim: 4, hiddenSize: 6) }

    @Test func teacherForcedLogitsAtStepTIgnoreLaterInputs() {
        let sources = Tensor(integers: [3, 4, 5, 6, 3, 8, 0, 0], shape: [2, 4])
        let a = model(sources, lengths: [4, 2], decoderInputs: Tensor(integers: [1, 3, 4, 1, 5, 6], shape: [2, 3]))
        let b = model(sources, lengths: [4, 2], decoderInputs: Tensor(integers: [1, 3, 6, 1, 5, 3], shape: [2, 3]))
        #expect(a.shape == [2, 3, 7])
        #expect(a.sliced(along: 1, from: 0, to: 2).scalars == b.sliced(along: 1, from: 0, to: 2).scalars)
        #expect(a.sliced(along: 1, from: 2).scalars != b.sliced(along: 1, from: 2).scalars)
        // Padding past a source's length changes nothing.
        let padded = model(Tensor(integers: [3, 4, 5, 6, 3, 8, 7, 7], shape: [2, 4]), lengths: [4, 2],
                           decoderInputs: Tensor(integers: [1, 3, 4, 1, 5, 6], shape: [2, 3]))
        #expect(zip(padded.scalars, a.scalars).allSatisfy { Swift.abs($0 - $1) < 1e-6 })
    }

    @Test func beamSearchOfWidthOneIsGreedy() {
        let sources = [[3, 4, 5], [8, 7, 6, 5, 4], [3, 3]]
        for source in sources {
            let greedy = model.greedyDecode(Tensor(integers: source, shape: [1, source.count]), lengths: [source.count],
                                            maxLength: 6)[0]
            #expect(model.beamSearch(source, width: 1, maxLength: 6) == greedy)
            #expect(model.beamSearch(source, width: 3, maxLength: 6).allSatisfy { (0..<7).contains($0) })
        }
    }
}
