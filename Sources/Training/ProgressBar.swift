import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keras-style progress: a live bar with steps, ETA, loss and metrics on a terminal; one plain
/// line per epoch when output is not a terminal (logs, CI).
final class ProgressBar {
    private let epoch: Int, epochs: Int, steps: Int
    private let output: ((String, String) -> Void)?
    private let start = ContinuousClock.now
    private let live: Bool
    private var lastDraw = ContinuousClock.now

    /// `live` draws the bar when standard output is a terminal; otherwise one line per epoch.
    init(epoch: Int, epochs: Int, steps: Int, live: Bool = true, output: ((String, String) -> Void)?) {
        self.live = live && isatty(STDOUT_FILENO) != 0
        self.epoch = epoch
        self.epochs = epochs
        self.steps = steps
        self.output = output
        if self.live { output?("Epoch \(epoch + 1)/\(epochs)", "\n") }
    }

    private var elapsed: Double {
        (ContinuousClock.now - start).inSeconds
    }

    private static func format(_ logs: [String: Float]) -> String {
        logs.keys.sorted { ($0 == "loss" ? "" : $0) < ($1 == "loss" ? "" : $1) }
            .map { String(format: "%@: %.4f", $0, logs[$0]!) }.joined(separator: " - ")
    }

    private func bar(_ step: Int) -> String {
        let width = 30, filled = steps == 0 ? width : width * step / steps
        let head = filled < width ? ">" : ""
        return "[" + String(repeating: "=", count: Swift.max(filled - head.count, 0)) + head
            + String(repeating: ".", count: width - Swift.max(filled, head.count)) + "]"
    }

    func update(step: Int, logs: [String: Float]) {
        guard live, let output else { return }
        // Redraw at most ten times a second: printing costs more than a small step.
        let now = ContinuousClock.now
        guard step == steps || now - lastDraw > .milliseconds(100) else { return }
        lastDraw = now
        let eta = step == 0 ? 0 : elapsed / Double(step) * Double(steps - step)
        output(String(format: "\r%d/%d %@ - ETA: %.0fs - %@\u{1B}[K", step, steps, bar(step), eta, Self.format(logs)), "")
    }

    func finish(logs: [String: Float]) {
        guard let output else { return }
        let line = String(format: "%d/%d %@ - %.1fs - %@", steps, steps, bar(steps), elapsed, Self.format(logs))
        if live {
            output("\r" + line + "\u{1B}[K", "\n")
        } else {
            output("Epoch \(epoch + 1)/\(epochs) - " + line, "\n")
        }
    }
}
