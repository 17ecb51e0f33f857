import Foundation
import TensorCore
import TestSupport
import Testing

/// Outputs and gradients computed by PyTorch (Fixtures/make_conv_fixtures.py).
struct ReferenceCase: Decodable {
    struct Values: Decodable {
        let shape: [Int]
        let values: [Double]
        var tensor: Tensor { Tensor(values.map(Float.init), shape: Shape(shape)) }
    }
    let inputs: [Values]
    let output: Values
    let grads: [[Double]]

    static let all: [String: ReferenceCase] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/conv_pool.json")
        return try! JSONDecoder().decode([String: ReferenceCase].self, from: Data(contentsOf: url))
    }()
}

let referenceFunctions: [(String, @Sendable ([Tensor]) -> Tensor)] = [
    ("conv2d_stride_pad_bias", { conv2d($0[0], $0[1], bias: $0[2], stride: (2, 2), padding: .symmetric(1, 1)) }),
    ("conv2d_dilation_groups", { conv2d($0[0], $0[1], padding: .symmetric(2, 2), dilation: (2, 2), groups: 2) }),
    ("conv2d_same", { conv2d($0[0], $0[1], padding: .same) }),
    ("conv1d", { conv1d($0[0], $0[1], bias: $0[2], stride: 2, padding: .explicit(top: 0, bottom: 0, left: 1, right: 1)) }),
    ("max_pool2d", { maxPool2d($0[0], kernelSize: (3, 3), stride: (2, 2), padding: .symmetric(1, 1)) }),
    ("avg_pool2d", { avgPool2d($0[0], kernelSize: (3, 3), stride: (2, 2), padding: .symmetric(1, 1)) }),
    ("conv_transpose2d", { convTranspose2d($0[0], $0[1], bias: $0[2], stride: (2, 2), padding: (1, 1), outputPadding: (1, 1)) }),
    ("conv_transpose2d_groups_dilation", { convTranspose2d($0[0], $0[1], dilation: (2, 2), groups: 2) }),
    ("avg_pool2d_exclude_pad", { avgPool2d($0[0], kernelSize: (2, 2), stride: (2, 2), padding: .symmetric(1, 1), countIncludePad: false) }),
]

@Test("forward and backward match PyTorch", arguments: referenceFunctions.map(\.0))
func matchesPyTorch(_ name: String) throws {
    let reference = try #require(ReferenceCase.all[name])
    let f = try #require(referenceFunctions.first { $0.0 == name }?.1)
    let gradients = valueWithGradient(at: reference.inputs.map(\.tensor)) { xs in
        let y = f(xs)
        let upstream = Tensor.linspace(from: -1, to: 1, count: y.scalarCount).reshaped(to: y.shape)
        return (y * upstream).sum()
    }.gradients
    let output = f(reference.inputs.map(\.tensor))
    expectClose(output, reference.output.tensor, atol: 1e-4, rtol: 1e-4)
    for (got, want) in zip(gradients, reference.grads) {
        expectClose(got, want.map(Float.init), atol: 1e-4, rtol: 1e-4)
    }
}
