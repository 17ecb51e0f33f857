import Layers
import TensorCore
import Testing

/// Architectures read from files are checked before anything is built.
@Suite struct ArchitectureValidationTests {
    private func problem(_ description: [String: any Sendable], budget: Int? = nil) -> String? {
        do {
            if let budget { _ = try LayerRegistry.make(from: description, maximumParameterElements: budget) }
            else { _ = try LayerRegistry.make(from: description) }
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func fieldsOutsideWhatTheLayerTakesAreErrors() {
        #expect(problem(["type": "Linear", "inFeatures": -5, "outFeatures": 3]) == "Linear: field 'inFeatures' is -5, not in 1...2147483647")
        #expect(problem(["type": "Linear", "inFeatures": 1.5, "outFeatures": 3]) == "Linear: missing or invalid field 'inFeatures'")
        #expect(problem(["type": "Dropout", "rate": 1.0]) == "Dropout: field 'rate' is 1.0, not in [0.0, 1.0)")
        #expect(problem(["type": "Dropout", "rate": Double.nan]) == "Dropout: field 'rate' is not finite")
        #expect(problem(["type": "LeakyReLU", "negativeSlope": Double.infinity]) == "LeakyReLU: field 'negativeSlope' is not finite")
        #expect(problem(["type": "Conv2D", "inChannels": 3, "outChannels": 4, "kernelSize": [3, 3], "stride": [1, 1], "padding": "same",
                         "dilation": [1, 1], "groups": 2]) == "Conv2D: field 'groups' 2 does not divide 3 => 4 channels")
        #expect(problem(["type": "Conv2D", "inChannels": 1, "outChannels": 1, "kernelSize": [0, 3], "stride": [1, 1], "padding": "same",
                         "dilation": [1, 1], "groups": 1])?.contains("'kernelSize'") == true)
        #expect(problem(["type": "MultiHeadAttention", "dim": 10, "heads": 3, "dropout": 0.0]) == "MultiHeadAttention: field 'heads' 3 does not divide dim 10")
        #expect(problem(["type": "Embedding", "count": 4, "dimension": 2, "paddingIndex": 4])?.contains("'paddingIndex' is 4") == true)
        #expect(problem(["type": "Reshape", "shape": [1, -28]])?.contains("'shape'") == true)
        #expect(problem(["type": "BatchNorm", "features": 4, "momentum": 0.1, "epsilon": 0.0])?.contains("'epsilon'") == true)
    }

    @Test func aRebuiltModelMayNotAllocateMoreThanTheFileHolds() {
        // 10^10 weights asked for by a file holding 100 values: refused before allocating.
        #expect(problem(["type": "Linear", "inFeatures": 100_000, "outFeatures": 100_000], budget: 100)
            == "Linear: the architecture asks for 10000100000 parameter elements, more than the 100 the file holds")
        let stack: [String: any Sendable] = ["type": "Sequential", "layers": [
            ["type": "Linear", "inFeatures": 4, "outFeatures": 4] as [String: any Sendable],
            ["type": "Linear", "inFeatures": 4, "outFeatures": 4] as [String: any Sendable]]]
        #expect(problem(stack, budget: 40) == nil)
        #expect(problem(stack, budget: 39) == "Linear: the architecture asks for 20 parameter elements, more than the 19 the file holds")
        #expect(problem(["type": "LSTM", "inputSize": 1 << 30, "hiddenSize": 1 << 30, "layers": 2], budget: 1 << 20)?.contains("asks for") == true)
    }

    @Test func outputShapesAreInferredAndMismatchesNamed() throws {
        let cnn = Sequential {
            Reshape([1, 28, 28]); Conv2D(1, 4, kernelSize: 3, padding: .same); BatchNorm(4); ReLU(); MaxPool2D(2)
            ResidualBlock(4, 8, stride: 2); GlobalPool(); Dropout(rate: 0.1); Linear(8, 10)
        }
        #expect(try cnn.checkedOutputShape(for: [2, 784]) == [2, 10])
        let real = cnn(Tensor.zeros([2, 784]))
        #expect(real.shape == [2, 10])
        #expect(throws: ShapeError("Reshape([1, 28, 28]): input of shape [2, 783] has 783 values per example, not 784")) {
            try cnn.checkedOutputShape(for: [2, 783])
        }
        #expect(throws: ShapeError("Linear(13 => 64, bias: true): input of shape [1, 784] should end in 13")) {
            try Sequential { Linear(13, 64) }.checkedOutputShape(for: [1, 784])
        }
        #expect(throws: ShapeError.self) { try Sequential { Reshape([1, 4, 4]); MaxPool2D(5) }.checkedOutputShape(for: [1, 16]) }
        #expect(throws: ShapeError.self) { try Sequential { Reshape([1, 2, 2]); MaxPool2D(3, stride: 2) }.checkedOutputShape(for: [1, 4]) }
        #expect(throws: ShapeError.self) { try Sequential { Reshape([1, 2, 2]); AdaptiveAvgPool2D(outputSize: (1 << 20, 1 << 20)) }.checkedOutputShape(for: [1, 4]) }
        let lstm = Sequential { Reshape([28, 28]); LSTM(28, 16); Linear(16, 10) }
        #expect(try lstm.checkedOutputShape(for: [3, 784]) == [3, 10])
        #expect(lstm(Tensor.zeros([3, 784])).shape == [3, 10])
        // A layer that cannot check itself says so rather than being run blind.
        #expect(throws: ShapeError.self) { try Sequential { Embedding(4, 2) }.checkedOutputShape(for: [1, 3]) }
    }
}
