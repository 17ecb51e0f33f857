import Foundation
import TensorCore

/// Writes TensorBoard event files (PyTorch's `SummaryWriter`, TensorFlow's `tf.summary`):
/// scalars, histograms, images and text, one `Event` protocol buffer per record, each record
/// framed as TFRecord frames it (length, masked CRC-32C of the length, data, masked CRC-32C of
/// the data). `tensorboard --logdir DIR` shows them.
///
/// ```swift
/// let writer = try SummaryWriter(logDirectory: "runs/tb/train")
/// writer.addScalar("loss", 0.42, step: 3)
/// writer.addHistogram("0.weight", values: layer.weight.value.scalars, step: 3)
/// ```
///
/// The file is `events.out.tfevents.<seconds>.<host>.<pid>.<n>` in `logDirectory` (created if
/// missing); every record is flushed to the file as it is written, so a run killed halfway leaves
/// what it logged readable.
public final class SummaryWriter {
    public let path: String
    private let handle: FileHandle
    private var closed = false
    private nonisolated(unsafe) static var filesOpened = 0

    public init(logDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        SummaryWriter.filesOpened += 1
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        let name = "events.out.tfevents.\(Int(Date().timeIntervalSince1970)).\(host).\(getpid()).\(SummaryWriter.filesOpened)"
        path = (logDirectory as NSString).appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        self.handle = handle
        write(event(step: 0) { $0.string(3, "brain.Event:2") })   // file_version
    }

    deinit { close() }

    /// One `Event` (wall_time = 1, step = 2, then its payload).
    private func event(step: Int, _ payload: (inout ProtobufWriter) -> Void) -> [UInt8] {
        var e = ProtobufWriter()
        e.double(1, Date().timeIntervalSince1970)
        e.varint(2, Int64(step))
        payload(&e)
        return e.bytes
    }

    /// An `Event` holding a `Summary` (field 5) of one `Summary.Value` (field 1) with `tag` (1).
    private func summary(_ tag: String, step: Int, _ value: (inout ProtobufWriter) -> Void) {
        write(event(step: step) { e in
            e.message(5) { s in
                s.message(1) { v in
                    v.string(1, tag)
                    value(&v)
                }
            }
        })
    }

    private func write(_ record: [UInt8]) {
        guard !closed else { return }
        var length = UInt64(record.count).littleEndian
        let lengthBytes = withUnsafeBytes(of: &length) { Array($0) }
        var frame = lengthBytes
        frame += littleEndian(CRC32C.masked(lengthBytes))
        frame += record
        frame += littleEndian(CRC32C.masked(record))
        handle.write(Data(frame))
        try? handle.synchronize()
    }

    private func littleEndian(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }

    /// A scalar (`Summary.Value.simple_value`, field 2).
    public func addScalar(_ tag: String, _ value: Float, step: Int) {
        summary(tag, step: step) { $0.float(2, value) }
    }

    /// A histogram of `values` in `bins` equal-width buckets between their minimum and maximum
    /// (`HistogramProto`, field 5). Non-finite values are left out.
    public func addHistogram(_ tag: String, values: [Float], step: Int, bins: Int = 30) {
        let v = values.filter(\.isFinite).map(Double.init)
        guard let low = v.min(), let high = v.max() else { return }
        let count = Swift.max(1, bins)
        let width = (high - low) / Double(count)
        var buckets = [Double](repeating: 0, count: count)
        for x in v { buckets[width > 0 ? Swift.min(Int((x - low) / width), count - 1) : 0] += 1 }
        let limits = (1...count).map { $0 == count ? high : low + width * Double($0) }
        summary(tag, step: step) { value in
            value.message(5) { h in
                h.double(1, low)
                h.double(2, high)
                h.double(3, Double(v.count))
                h.double(4, v.reduce(0, +))
                h.double(5, v.reduce(0) { $0 + $1 * $1 })
                h.packedDoubles(6, limits)
                h.packedDoubles(7, buckets)
            }
        }
    }

    /// An image (`Summary.Image`, field 4) from `pixels` in [0, 1]: shape `[H, W]` (gray),
    /// `[C, H, W]` with C = 1, 3 or 4, or `[N, C, H, W]` laid out as a grid of `columns`.
    public func addImage(_ tag: String, _ pixels: Tensor, step: Int, columns: Int = 8) {
        let (png, height, width, channels) = SummaryWriter.png(pixels, columns: columns)
        summary(tag, step: step) { value in
            value.message(4) { image in
                image.varint(1, Int64(height))
                image.varint(2, Int64(width))
                image.varint(3, Int64(channels))
                image.bytes(4, png)
            }
        }
    }

    /// Text, as TensorBoard's text plugin stores it: a string tensor with the plugin's metadata.
    public func addText(_ tag: String, _ text: String, step: Int) {
        summary(tag, step: step) { value in
            value.message(9) { metadata in metadata.message(1) { plugin in plugin.string(1, "text") } }
            value.message(8) { tensor in
                tensor.varint(1, 7)                 // DT_STRING
                tensor.message(2) { _ in }          // a scalar: no dimensions
                tensor.bytes(8, Array(text.utf8))   // string_val
            }
        }
    }

    /// The PNG of an image or a grid of images, with its height, width and channel count.
    static func png(_ pixels: Tensor, columns: Int) -> ([UInt8], Int, Int, Int) {
        var shape = pixels.shape.dimensions
        if shape.count == 2 { shape = [1, 1] + shape }
        if shape.count == 3 { shape = [1] + shape }
        require(shape.count == 4 && [1, 3, 4].contains(shape[1]) && shape[2] > 0 && shape[3] > 0 && shape[0] > 0,
                "addImage: pixels of shape \(pixels.shape) should be [H, W], [C, H, W] or [N, C, H, W] with C = 1, 3 or 4")
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let across = Swift.min(Swift.max(columns, 1), n), down = (n + across - 1) / across
        let (gridW, gridH) = (across * w, down * h)
        let values = pixels.scalars
        var out = [UInt8](repeating: 0, count: gridW * gridH * c)
        for image in 0..<n {
            let (top, left) = ((image / across) * h, (image % across) * w)
            for y in 0..<h {
                for x in 0..<w {
                    for k in 0..<c {
                        let v = values[((image * c + k) * h + y) * w + x]
                        out[((top + y) * gridW + left + x) * c + k] = UInt8((Swift.min(Swift.max(v.isNaN ? 0 : v, 0), 1) * 255).rounded())
                    }
                }
            }
        }
        let color: PNG.ColorType = c == 1 ? .gray : c == 3 ? .rgb : .rgba
        return (PNG.encode(width: gridW, height: gridH, color: color, pixels: out), gridH, gridW, c)
    }

    /// A hyperparameter's value in TensorBoard's HParams dashboard (`google.protobuf.Value`).
    public enum HyperparameterValue: Sendable, Equatable {
        case number(Double), string(String), bool(Bool)
    }

    /// The hyperparameters of this run for the HParams dashboard, as the `hparams` plugin's
    /// summaries (`plugin_data.proto`): the experiment (each hyperparameter and the `metrics`
    /// tags to show beside them) and the session's start with its values, at step 0. Call
    /// `endHyperparameterSession` when the run ends.
    public func addHyperparameters(_ values: [String: HyperparameterValue], metrics: [String]) {
        func value(_ v: inout ProtobufWriter, _ h: HyperparameterValue) {
            switch h {
            case .number(let d): v.double(2, d)
            case .string(let s): v.string(3, s)
            case .bool(let b): v.varint(4, b ? 1 : 0)
            }
        }
        let sorted = values.sorted { $0.key < $1.key }
        hyperparameterSummary("_hparams_/experiment") { data in
            data.message(2) { experiment in
                for (name, v) in sorted {
                    experiment.message(4) { info in
                        info.string(1, name)
                        // DataType: STRING 1, BOOL 2, FLOAT64 3.
                        switch v {
                        case .number: info.varint(4, 3)
                        case .string: info.varint(4, 1)
                        case .bool: info.varint(4, 2)
                        }
                    }
                }
                for tag in metrics { experiment.message(5) { info in info.message(1) { $0.string(2, tag) } } }
            }
        }
        hyperparameterSummary("_hparams_/session_start_info") { data in
            data.message(3) { start in
                for (name, v) in sorted {
                    start.message(1) { entry in
                        entry.string(1, name)
                        entry.message(2) { value(&$0, v) }
                    }
                }
                start.double(5, Date().timeIntervalSince1970)
            }
        }
    }

    /// The end of the session `addHyperparameters` started: status success (1) or failure (2).
    public func endHyperparameterSession(succeeded: Bool = true) {
        hyperparameterSummary("_hparams_/session_end_info") { data in
            data.message(4) { end in
                end.varint(1, succeeded ? 1 : 2)
                end.double(2, Date().timeIntervalSince1970)
            }
        }
    }

    /// A value of no data whose metadata carries `HParamsPluginData` (version 0) for the
    /// `hparams` plugin, as TensorBoard's own `hparams` summaries are written.
    private func hyperparameterSummary(_ tag: String, _ data: (inout ProtobufWriter) -> Void) {
        var content = ProtobufWriter()
        content.varint(1, 0)
        data(&content)
        summary(tag, step: 0) { value in
            value.message(9) { metadata in
                metadata.message(1) { plugin in
                    plugin.string(1, "hparams")
                    plugin.bytes(2, content.bytes)
                }
            }
        }
    }

    /// Closes the file; later records are dropped.
    public func close() {
        guard !closed else { return }
        closed = true
        try? handle.close()
    }
}
