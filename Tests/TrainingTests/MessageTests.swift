import Foundation
import Testing
import Layers
import TensorCore
import Training

/// The mistakes a user makes first stop the process with a message that names the layer or the
/// missing step. CI runs the tests once as a release build, where `precondition` would print nothing.
@Suite struct UserMistakeMessageTests {
    @Test func linearWidthMismatchNamesTheLayerAndTheShape() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Linear(13, 64)(Tensor.zeros([8, 784]))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("Linear(13 => 64): input of shape [8, 784] should end in 13"))
    }

    @Test func evaluatingBeforeCompilingSaysSo() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let model = Model(Linear(4, 2))
            _ = model.evaluate(Tensor.zeros([3, 4]), Tensor(integers: [0, 1, 0], shape: [3]))
        }
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains("evaluate: call compile(optimizer:loss:metrics:) first"))
    }
}

/// No check in Sources/ uses `precondition`, whose message a release build drops: `require` keeps it.
@Test func sourcesUseRequireNotPrecondition() throws {
    let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")
    let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
    #expect(files.count > 50)
    var offenders: [String] = []
    for file in files {
        let text = try String(contentsOf: file, encoding: .utf8)
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where line.contains("precondition(") || line.contains("preconditionFailure(") {
            offenders.append("\(file.lastPathComponent):\(number + 1)")
        }
    }
    #expect(offenders.isEmpty, "use require(_:_:) so the message survives -O: \(offenders)")
}
