// deeplearn-fuzz: a seeded mutation fuzzer over every kind of file the `deeplearn` command reads.
//
//   deeplearn-fuzz make-corpus DIR                  writes the seed files (committed under Fuzz/corpus)
//   deeplearn-fuzz run --binary PATH [--corpus DIR] [--mutants N | --seconds S] [--seed K] [--jobs J]
//   deeplearn-fuzz regressions --binary PATH [--corpus DIR]
//
// Each mutant is a seed file changed by a few random mutations (bit flips, byte sets, interesting
// integers, truncation, appended bytes, spliced ranges, numbers in JSON headers replaced by edge
// values, NaN or invalid UTF-8 inserted), handed to
// the command that reads that kind of file. A run fails on a crash (a signal), a hang (over the
// time limit), or exit status 0 for a mutant that a mutation made structurally invalid for sure
// (a truncated or extended safetensors/IDX/gzip file, a changed header length or dimension, NaN
// in a CSV, invalid UTF-8 in a text). Failing mutants are saved under Fuzz/findings; those kept in
// Fuzz/regressions are replayed by CI: none may crash or hang, the invalid ones must be rejected.
import DeepLearning
import Foundation

/// Deterministic draws for the mutations (splitmix64): the same seed gives the same mutants.
struct Draws: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
}

/// A kind of input: its seed files and the command that reads a mutant.
struct Target {
    let name: String
    /// Seed file names under the corpus directory's `name/` folder.
    let seeds: [String]
    /// How the file's structure makes some mutations invalid for sure.
    let format: Format
    /// The arguments of `deeplearn` that read `file`, with the corpus directory at hand.
    let arguments: (_ file: String, _ corpus: String, _ scratch: String) -> [String]
    enum Format { case safetensors, idx, gzip, csv, text, table, onnx }
}

let sample = "fashion"  // a tiny Fashion-MNIST directory in the corpus

let targets: [Target] = [
    Target(name: "checkpoint", seeds: ["linear.safetensors", "cnn.safetensors"], format: .safetensors) { file, corpus, _ in
        ["evaluate", "--checkpoint", file, "--data", "\(corpus)/\(sample)", "--json"]
    },
    Target(name: "optimizer", seeds: ["mlp.optimizer.safetensors"], format: .safetensors) { file, corpus, scratch in
        // The mutant replaces the optimizer file the checkpoint names; train --resume reads both.
        let checkpoint = "\(scratch)/mlp.safetensors"
        try? FileManager.default.removeItem(atPath: checkpoint)
        try! FileManager.default.copyItem(atPath: "\(corpus)/optimizer/mlp.safetensors", toPath: checkpoint)
        let meta = try! SafeTensors.load(checkpoint).metadata
        let target = "\(scratch)/\(meta["optimizer_state"]!)"
        try? FileManager.default.removeItem(atPath: target)
        try! FileManager.default.copyItem(atPath: file, toPath: target)
        return ["train", "--resume", checkpoint, "--epochs", "2", "--data", "\(corpus)/\(sample)", "--json"]
    },
    Target(name: "idx", seeds: ["images-idx3-ubyte", "labels-idx1-ubyte"], format: .idx) { file, corpus, scratch in
        // Images go to predict; labels replace the test labels of a copy of the tiny data set.
        if file.contains("labels") {
            let dir = "\(scratch)/data"
            try? FileManager.default.removeItem(atPath: dir)
            try! FileManager.default.copyItem(atPath: "\(corpus)/\(sample)", toPath: dir)
            try! FileManager.default.removeItem(atPath: "\(dir)/t10k-labels-idx1-ubyte")
            try! FileManager.default.copyItem(atPath: file, toPath: "\(dir)/t10k-labels-idx1-ubyte")
            return ["evaluate", "--checkpoint", "\(corpus)/checkpoint/linear.safetensors", "--data", dir, "--json"]
        }
        return ["predict", "--checkpoint", "\(corpus)/checkpoint/linear.safetensors", "--input", file, "--json"]
    },
    Target(name: "gzip", seeds: ["images-idx3-ubyte.gz"], format: .gzip) { file, corpus, _ in
        ["predict", "--checkpoint", "\(corpus)/checkpoint/linear.safetensors", "--input", file, "--json"]
    },
    Target(name: "csv", seeds: ["images.csv"], format: .csv) { file, corpus, _ in
        ["predict", "--checkpoint", "\(corpus)/checkpoint/linear.safetensors", "--input", file, "--json"]
    },
    Target(name: "table", seeds: ["fruit.csv"], format: .table) { file, _, scratch in
        ["train", "--csv", file, "--label", "kind", "--epochs", "2", "--impute", "mean", "--output", "\(scratch)/table.safetensors", "--json"]
    },
    Target(name: "tablemodel", seeds: ["fruit.safetensors"], format: .safetensors) { file, corpus, _ in
        ["predict", "--checkpoint", file, "--input", "\(corpus)/table/fruit.csv", "--json"]
    },
    Target(name: "lm", seeds: ["lstm.safetensors", "transformer.safetensors"], format: .safetensors) { file, _, _ in
        ["lm", "sample", "--checkpoint", file, "--length", "8", "--prompt", "a"]
    },
    Target(name: "plotlog", seeds: ["log.csv"], format: .text) { file, _, scratch in
        ["plot", "history", file, "--output", "\(scratch)/curves.png"]
    },
    Target(name: "filters", seeds: ["cnn.safetensors"], format: .safetensors) { file, _, scratch in
        ["plot", "filters", "--checkpoint", file, "--output", "\(scratch)/filters.png"]
    },
    Target(name: "onnx", seeds: ["cnn.onnx", "lstm.onnx"], format: .onnx) { file, corpus, scratch in
        ["import", file, "--output", "\(scratch)/imported.safetensors", "--data", "\(corpus)/\(sample)"]
    },
    Target(name: "text", seeds: ["text.txt"], format: .text) { file, _, scratch in
        ["lm", "train", "--text", file, "--steps", "1", "--width", "8", "--context", "8", "--batch-size", "2",
         "--eval-every", "0", "--output", "\(scratch)/lm.safetensors", "--json"]
    },
]

/// A mutant and whether a mutation made it invalid for sure.
struct Mutant { var bytes: [UInt8]; var surelyInvalid: Bool; var log: [String] }

/// Interesting integers for header fields: zero, one, signs, powers of two and their edges.
let interesting: [UInt64] = [0, 1, 2, 7, 8, 255, 256, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
                             1 << 32, 1 << 40, 0x7FFF_FFFF_FFFF_FFFF, .max]

func mutate(_ seed: [UInt8], format: Target.Format, draws: inout Draws) -> Mutant {
    var m = Mutant(bytes: seed, surelyInvalid: false, log: [])
    let rounds = 1 + draws.below(3)
    for _ in 0..<rounds {
        guard !m.bytes.isEmpty else { break }
        let n = m.bytes.count
        // Mutations near the start hit headers: half of them land in the first 64 bytes or the JSON.
        let at = draws.below(2) == 0 ? draws.below(min(n, 64)) : draws.below(n)
        switch draws.below(10) {
        case 9:
            // A number in a JSON header (shapes, offsets, layer sizes, rates) replaced by an edge value.
            let digits = (0..<min(n, 8192)).filter { (0x30...0x39).contains(m.bytes[$0]) && ($0 == 0 || !(0x30...0x39).contains(m.bytes[$0 - 1])) }
            if !digits.isEmpty {
                let start = digits[draws.below(digits.count)]
                var end = start
                while end < n && (0x30...0x39).contains(m.bytes[end]) { end += 1 }
                let tokens = ["0", "-1", "1.5", "1e9", "2147483648", "9223372036854775807", "99999999999999999999", "-0", "1e-300", "4096"]
                let token = tokens[draws.below(tokens.count)]
                m.bytes.replaceSubrange(start..<end, with: Array(token.utf8)); m.log.append("number \(start) -> \(token)")
            }
        case 0:
            m.bytes[at] ^= UInt8(1 << draws.below(8)); m.log.append("flip \(at)")
        case 1:
            m.bytes[at] = UInt8(truncatingIfNeeded: draws.next()); m.log.append("set \(at)")
        case 2:
            // An interesting integer written over 1, 2, 4 or 8 bytes, either byte order.
            let value = interesting[draws.below(interesting.count)], width = [1, 2, 4, 8][draws.below(4)]
            let big = draws.below(2) == 0
            for i in 0..<width where at + i < n {
                m.bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(big ? width - 1 - i : i)))
            }
            m.log.append("int \(value) x\(width) at \(at)")
        case 3:
            let cut = 1 + draws.below(n)
            m.bytes.removeLast(cut); m.log.append("truncate \(cut)")
        case 4:
            let extra = 1 + draws.below(64)
            m.bytes += (0..<extra).map { _ in UInt8(truncatingIfNeeded: draws.next()) }; m.log.append("append \(extra)")
        case 5:
            // A range copied over another (splices JSON fields, duplicates names and headers).
            let length = 1 + draws.below(min(32, n)), from = draws.below(n - length + 1), to = draws.below(n - length + 1)
            let piece = Array(m.bytes[from..<(from + length)])
            m.bytes.replaceSubrange(to..<(to + length), with: piece); m.log.append("splice \(from)->\(to) x\(length)")
        case 6:
            // A digit in a JSON header or CSV changed: sizes, offsets and fields that stay well-formed.
            if let i = (0..<min(n, 4096)).shuffled(using: &draws).first(where: { (0x30...0x39).contains(m.bytes[$0]) }) {
                m.bytes[i] = UInt8(0x30 + draws.below(10)); m.log.append("digit \(i)")
            }
        case 7:
            if format == .csv {
                let commas = m.bytes.indices.filter { m.bytes[$0] == UInt8(ascii: ",") }
                if let c = commas.isEmpty ? nil : commas[draws.below(commas.count)] {
                    m.bytes.insert(contentsOf: Array(",nan".utf8), at: c); m.bytes.remove(at: c + 4)
                    m.bytes.insert(contentsOf: Array("nan".utf8), at: c + 1)
                    m.log.append("nan at \(c)")
                }
            } else if format == .text {
                m.bytes.insert(0xFF, at: at); m.log.append("invalid utf8 at \(at)")
            } else {
                m.bytes.remove(at: at); m.log.append("delete \(at)")
            }
        default:
            let length = 1 + draws.below(8)
            m.bytes.insert(contentsOf: (0..<length).map { _ in UInt8(truncatingIfNeeded: draws.next()) }, at: at)
            m.log.append("insert \(length) at \(at)")
        }
    }
    m.surelyInvalid = surelyInvalid(m.bytes, seed: seed, format: format)
    return m
}

/// Whether `bytes` break their format for sure, by checks independent of the readers under test
/// (each a plain violation of the format's definition; a mutant that passes them may still be
/// invalid, and then either exit status is accepted).
func surelyInvalid(_ bytes: [UInt8], seed: [UInt8], format: Target.Format) -> Bool {
    switch format {
    case .safetensors:
        guard bytes.count >= 8 else { return true }
        let length = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length <= UInt64(bytes.count - 8) else { return true }
        let end = 8 + Int(length)
        guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[8..<end])) as? [String: Any] else { return true }
        // The data must end where the last tensor ends.
        let ends = header.compactMap { ($0.value as? [String: Any])?["data_offsets"] as? [Int] }.compactMap(\.last)
        return ends.count == header.count - (header["__metadata__"] == nil ? 0 : 1) && (ends.max() ?? 0) != bytes.count - end
    case .idx:
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0, bytes[2] == 8, bytes[3] > 0 else { return true }
        let rank = Int(bytes[3])
        guard bytes.count >= 4 + 4 * rank else { return true }
        var count = 1
        for i in 0..<rank {
            let d = bytes[(4 + 4 * i)..<(8 + 4 * i)].reduce(0) { $0 << 8 | Int($1) }
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            if overflow { return true }
            count = p
        }
        return bytes.count != 4 + 4 * rank + count
    case .gzip:
        // Past the header's time stamp and flags, every byte is covered by the CRC-32 and length.
        return bytes.count != seed.count || bytes[min(10, bytes.count)...] != seed[min(10, seed.count)...]
    case .csv:
        return String(decoding: bytes, as: UTF8.self).lowercased().contains("nan")
    case .text:
        return bytes.isEmpty || String(bytes: bytes, encoding: .utf8) == nil
    case .onnx:
        // Protocol buffers skip unknown fields and default missing ones: only no bytes is surely no model.
        return bytes.isEmpty
    case .table:
        // Not UTF-8, or an odd number of quotes: a quoted field is never closed.
        return String(bytes: bytes, encoding: .utf8) == nil || bytes.filter { $0 == UInt8(ascii: "\"") }.count % 2 == 1
    }
}

/// How a run of the command ended.
enum Outcome: Equatable { case exit(Int32), signal(Int32), hang }

/// Runs `binary` with `arguments`, killing it after `limit` seconds; returns its outcome and stderr.
func execute(_ binary: String, _ arguments: [String], limit: Double) -> (Outcome, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    var environment = ProcessInfo.processInfo.environment
    environment["DEEPLEARN_THREADS"] = "1"
    process.environment = environment
    do { try process.run() } catch { return (.exit(-1), "cannot run \(binary): \(error)") }
    // Read on another thread, so a chatty child cannot block on a full pipe while we wait.
    final class Box: @unchecked Sendable { var data = Data() }
    let box = Box(), group = DispatchGroup()
    DispatchQueue(label: "stderr").async(group: group) { box.data = errors.fileHandleForReading.readDataToEndOfFile() }
    let deadline = Date().addingTimeInterval(limit)
    while process.isRunning && Date() < deadline { usleep(2000) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        group.wait()
        return (.hang, String(decoding: box.data, as: UTF8.self))
    }
    process.waitUntilExit()
    group.wait()
    let stderr = String(decoding: box.data, as: UTF8.self)
    return (process.terminationReason == .uncaughtSignal ? .signal(process.terminationStatus) : .exit(process.terminationStatus), stderr)
}

/// What went wrong with a run, if anything.
func verdict(_ outcome: Outcome, _ stderr: String, surelyInvalid: Bool) -> String? {
    switch outcome {
    case .signal(let s): return "crash (signal \(s)): \(stderr.split(separator: "\n").prefix(3).joined(separator: " | "))"
    case .hang: return "hang"
    case .exit(0): return surelyInvalid ? "exit 0 on a structurally invalid file" : nil
    case .exit(let code):
        let lines = stderr.split(separator: "\n").filter { !$0.hasPrefix("deeplearn: warning:") }
        if code > 1 && code != 64 { return "exit \(code): \(lines.prefix(2).joined(separator: " | "))" }
        return lines.count == 1 ? nil : "exit \(code) with \(lines.count) lines on stderr: \(lines.prefix(3).joined(separator: " | "))"
    }
}

func option(_ name: String, _ arguments: [String]) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}

func campaign(_ arguments: [String]) -> Int32 {
    guard let binary = option("--binary", arguments) else { print("--binary PATH is required"); return 2 }
    let corpus = option("--corpus", arguments) ?? "Fuzz/corpus"
    if !FileManager.default.fileExists(atPath: "\(corpus)/optimizer/mlp.safetensors") {
        do { try makeOptimizerSeed(corpus) } catch { print("cannot make the optimizer seed: \(error)"); return 2 }
    }
    let mutants = option("--mutants", arguments).flatMap(Int.init)
    let seconds = option("--seconds", arguments).flatMap(Double.init) ?? 60
    let seed = option("--seed", arguments).flatMap(UInt64.init) ?? 1
    let jobs = max(1, option("--jobs", arguments).flatMap(Int.init) ?? 2)
    let only = option("--target", arguments)
    let chosen = targets.filter { only == nil || $0.name == only }
    let started = Date()
    let lock = NSLock()
    var counts: [String: (runs: Int, invalid: Int, rejected: Int, failures: Int)] = [:]
    var failures: [String] = []
    var next = 0
    let saveDirectory = "\(corpus)/../findings"
    func work(_ job: Int) {
        let scratch = NSTemporaryDirectory() + "deeplearn-fuzz-\(getpid())-\(job)"
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        while true {
            lock.lock()
            let index = next
            next += 1
            lock.unlock()
            if let mutants, index >= mutants { return }
            if mutants == nil && Date().timeIntervalSince(started) > seconds { return }
            let target = chosen[index % chosen.count]
            var draws = Draws(state: seed &* 0x1_0000_0001 &+ UInt64(index))
            let seedName = target.seeds[draws.below(target.seeds.count)]
            guard let original = FileManager.default.contents(atPath: "\(corpus)/\(target.name)/\(seedName)") else {
                lock.lock(); failures.append("missing seed \(target.name)/\(seedName)"); lock.unlock(); return
            }
            let mutant = mutate([UInt8](original), format: target.format, draws: &draws)
            let file = "\(scratch)/\(seedName)"
            _ = FileManager.default.createFile(atPath: file, contents: Data(mutant.bytes))
            let (outcome, stderr) = execute(binary, target.arguments(file, corpus, scratch), limit: 30)
            let problem = verdict(outcome, stderr, surelyInvalid: mutant.surelyInvalid)
            lock.lock()
            var c = counts[target.name] ?? (0, 0, 0, 0)
            c.runs += 1
            if mutant.surelyInvalid { c.invalid += 1 }
            if outcome != .exit(0) { c.rejected += 1 }
            if let problem {
                c.failures += 1
                failures.append("\(target.name)/\(seedName) #\(index) [\(mutant.log.joined(separator: ", "))]: \(problem)")
                try? FileManager.default.createDirectory(atPath: "\(saveDirectory)/\(target.name)", withIntermediateDirectories: true)
                _ = FileManager.default.createFile(atPath: "\(saveDirectory)/\(target.name)/\(index)-\(seedName)", contents: Data(mutant.bytes))
            }
            counts[target.name] = c
            lock.unlock()
        }
    }
    // The workers share the counters above under `lock`.
    final class Work: @unchecked Sendable {
        let run: (Int) -> Void
        init(_ run: @escaping (Int) -> Void) { self.run = run }
    }
    let shared = Work(work)
    let group = DispatchGroup()
    for job in 0..<jobs { DispatchQueue.global().async(group: group) { shared.run(job) } }
    group.wait()
    var total = (runs: 0, invalid: 0, rejected: 0, failures: 0)
    var perTarget: [String: Any] = [:]
    for (name, c) in counts.sorted(by: { $0.key < $1.key }) {
        perTarget[name] = ["mutants": c.runs, "surely_invalid": c.invalid, "rejected": c.rejected, "failures": c.failures]
        total = (total.runs + c.runs, total.invalid + c.invalid, total.rejected + c.rejected, total.failures + c.failures)
    }
    for f in failures.prefix(50) { FileHandle.standardError.write(Data("FAIL \(f)\n".utf8)) }
    let summary: [String: Any] = ["mutants": total.runs, "surely_invalid": total.invalid, "rejected": total.rejected,
                                  "failures": total.failures, "seconds": Int(Date().timeIntervalSince(started)), "seed": seed,
                                  "targets": perTarget]
    print(String(decoding: try! JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
    return total.failures == 0 && failures.isEmpty ? 0 : 1
}

/// Replays every file under `regressions/<target>/` (named `<number>-<seed file>`): none may crash
/// or hang, and each that is structurally invalid must be rejected with one line.
func regressions(_ arguments: [String]) -> Int32 {
    guard let binary = option("--binary", arguments) else { print("--binary PATH is required"); return 2 }
    let corpus = option("--corpus", arguments) ?? "Fuzz/corpus"
    if !FileManager.default.fileExists(atPath: "\(corpus)/optimizer/mlp.safetensors") {
        do { try makeOptimizerSeed(corpus) } catch { print("cannot make the optimizer seed: \(error)"); return 2 }
    }
    let directory = "\(corpus)/../regressions"
    var failed = 0, count = 0
    let scratch = NSTemporaryDirectory() + "deeplearn-fuzz-regressions-\(getpid())"
    try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    for target in targets {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/\(target.name)")) ?? []
        for name in names.sorted() {
            count += 1
            // The file keeps its seed's name (after the mutant number) so the command reads it as that kind.
            let seedName = String(name.drop { $0 != "-" }.dropFirst())
            let file = "\(scratch)/\(seedName.isEmpty ? name : seedName)"
            try? FileManager.default.removeItem(atPath: file)
            try! FileManager.default.copyItem(atPath: "\(directory)/\(target.name)/\(name)", toPath: file)
            let bytes = [UInt8](FileManager.default.contents(atPath: file) ?? Data())
            let seed = [UInt8](FileManager.default.contents(atPath: "\(corpus)/\(target.name)/\(seedName)") ?? Data())
            let (outcome, stderr) = execute(binary, target.arguments(file, corpus, scratch), limit: 30)
            if let problem = verdict(outcome, stderr, surelyInvalid: surelyInvalid(bytes, seed: seed, format: target.format)) {
                failed += 1
                print("FAIL \(target.name)/\(name): \(problem)")
            }
        }
    }
    print("{\"regressions\": \(count), \"failures\": \(failed)}")
    return failed == 0 ? 0 : 1
}

/// Writes the seed files: small, valid inputs of every kind, made with the library itself.
func makeCorpus(_ directory: String) throws {
    let fm = FileManager.default
    for t in targets.map(\.name) + [sample] { try fm.createDirectory(atPath: "\(directory)/\(t)", withIntermediateDirectories: true) }
    Random.seed(7)
    let data = try FashionMNIST.load()
    // A tiny Fashion-MNIST: 32 training and 16 test images, as IDX files.
    func idx(_ values: [UInt8], shape: [Int]) -> [UInt8] {
        [0, 0, 8, UInt8(shape.count)] + shape.flatMap { d in (0..<4).map { UInt8(truncatingIfNeeded: d >> (8 * (3 - $0))) } } + values
    }
    func pixels(_ t: Tensor) -> [UInt8] { t.scalars.map { UInt8(($0 * 255).rounded()) } }
    let (trainX, trainY) = (data.trainImages[0..<32], data.trainLabels[0..<32])
    let (testX, testY) = (data.testImages[0..<16], data.testLabels[0..<16])
    let files: [(String, [UInt8])] = [
        ("train-images-idx3-ubyte", idx(pixels(trainX), shape: [32, 28, 28])), ("train-labels-idx1-ubyte", idx(trainY.integers.map { UInt8($0) }, shape: [32])),
        ("t10k-images-idx3-ubyte", idx(pixels(testX), shape: [16, 28, 28])), ("t10k-labels-idx1-ubyte", idx(testY.integers.map { UInt8($0) }, shape: [16])),
    ]
    for (name, bytes) in files { _ = fm.createFile(atPath: "\(directory)/\(sample)/\(name)", contents: Data(bytes)) }
    _ = fm.createFile(atPath: "\(directory)/idx/images-idx3-ubyte", contents: Data(idx(pixels(testX[0..<4]), shape: [4, 28, 28])))
    _ = fm.createFile(atPath: "\(directory)/idx/labels-idx1-ubyte", contents: Data(files[3].1))
    let csv = testX[0..<3].scalars.chunks(784).map { $0.map { String(Int(($0 * 255).rounded())) }.joined(separator: ",") }.joined(separator: "\n")
    _ = fm.createFile(atPath: "\(directory)/csv/images.csv", contents: Data((csv + "\n").utf8))
    // Checkpoints: a linear classifier and a small convolutional one, with architectures.
    try Checkpoint.save(Sequential { Linear(784, 10) }, to: "\(directory)/checkpoint/linear.safetensors")
    try Checkpoint.save(Sequential {
        Reshape([1, 28, 28]); Conv2D(1, 2, kernelSize: 3, padding: .same); ReLU(); MaxPool2D(4); Flatten(); Dropout(rate: 0.1); Linear(98, 10)
    }, to: "\(directory)/checkpoint/cnn.safetensors")
    try makeOptimizerSeed(directory)
    // What plot reads: a CSVLogger log (with a missing value and a NaN) and the convolutional checkpoint.
    let log = "epoch,accuracy,loss,lr,val_accuracy,val_loss\n0,0.5415,1.2864773,0.001,0.699,0.7554412\n"
        + "1,0.7328333,0.7201033,0.00075,0.775,0.6203046\n2,0.7748333,0.62991565,,0.776,nan\n"
    _ = fm.createFile(atPath: "\(directory)/plotlog/log.csv", contents: Data(log.utf8))
    try? fm.removeItem(atPath: "\(directory)/filters/cnn.safetensors")
    try fm.copyItem(atPath: "\(directory)/checkpoint/cnn.safetensors", toPath: "\(directory)/filters/cnn.safetensors")
    // What import reads: a graph our layers rebuild, and one that runs node by node.
    let convolutional = Sequential { Reshape([1, 28, 28]); Conv2D(1, 2, kernelSize: 3, padding: .same); ReLU(); MaxPool2D(4); Flatten(); Linear(98, 10) }
    _ = fm.createFile(atPath: "\(directory)/onnx/cnn.onnx", contents: Data(try ONNX.encode(convolutional, inputShape: [784])))
    let recurrent = Sequential { Reshape([28, 28]); LSTM(28, 4); Linear(4, 10) }
    _ = fm.createFile(atPath: "\(directory)/onnx/lstm.onnx", contents: Data(try ONNX.encode(recurrent, inputShape: [784])))
    // A table of numbers, a category, a missing value and text labels, and a model trained on it.
    var rng = RandomGenerator(seed: 3)
    let sizes = Tensor.uniform([40], low: 1, high: 9, using: &rng).scalars
    let rows = sizes.enumerated().map { i, size in
        let colour = ["red", "green", "\"blue, dark\""][i % 3]
        return "\(size),\(colour),\(i == 7 ? "" : String(i % 5)),\(size + Float(i % 3) > 5 ? "big" : "small")"
    }
    let table = "size,colour,weight,kind\n" + rows.joined(separator: "\n") + "\n"
    _ = fm.createFile(atPath: "\(directory)/table/fruit.csv", contents: Data(table.utf8))
    var recipe = Tabular.Recipe()
    (recipe.epochs, recipe.hidden, recipe.imputation) = (2, [4], .mean)
    try Tabular.train(try Table.read("\(directory)/table/fruit.csv"), label: "kind", recipe: recipe)
        .model.save(to: "\(directory)/tablemodel/fruit.safetensors", includeOptimizer: false)
    // Character models, small.

    let text = String(try TextCorpus.shakespeare().prefix(3000))
    _ = fm.createFile(atPath: "\(directory)/text/text.txt", contents: Data(text.prefix(600).utf8))
    for arch in ["lstm", "transformer"] {
        var r = CharacterModels.recipe(arch)
        (r.steps, r.batchSize, r.context, r.width, r.layers) = (2, 4, 16, arch == "lstm" ? 8 : 32, 1)
        let result = try CharacterModels.train(arch, corpus: text, recipe: r)
        try CharacterModels.save(result.model, arch: arch, recipe: r, tokenizer: result.tokenizer, to: "\(directory)/lm/\(arch).safetensors")
    }
    // The same images, gzip-compressed by the system gzip.
    let gzip = Process()
    gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
    gzip.arguments = ["-c", "gzip -n -9 -c '\(directory)/idx/images-idx3-ubyte' > '\(directory)/gzip/images-idx3-ubyte.gz'"]
    try gzip.run()
    gzip.waitUntilExit()
}

/// The optimizer seed: the MLP trained one epoch on the tiny set, its checkpoint and optimizer
/// file (2.8 MB, so made when missing rather than committed).
func makeOptimizerSeed(_ directory: String) throws {
    let fm = FileManager.default
    try fm.createDirectory(atPath: "\(directory)/optimizer", withIntermediateDirectories: true)
    let tiny = try FashionMNIST.load(directory: "\(directory)/\(sample)")
    var recipe = try ModelZoo.recipe(for: "mlp")
    recipe.epochs = 1
    _ = try ModelZoo.train("mlp", recipe: recipe, batchSize: 16, data: tiny, checkpoint: "\(directory)/optimizer/mlp.safetensors",
                           showProgressBar: false)
    let meta = try SafeTensors.load("\(directory)/optimizer/mlp.safetensors").metadata
    try? fm.removeItem(atPath: "\(directory)/optimizer/mlp.optimizer.safetensors")
    try fm.moveItem(atPath: "\(directory)/optimizer/\(meta["optimizer_state"]!)", toPath: "\(directory)/optimizer/mlp.optimizer.safetensors")
}

extension Array {
    func chunks(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "make-corpus":
    do { try makeCorpus(arguments.count > 1 ? arguments[1] : "Fuzz/corpus") } catch { print("make-corpus: \(error)"); exit(1) }
case "run": exit(campaign(arguments))
case "regressions": exit(regressions(arguments))
default:
    print("usage: deeplearn-fuzz make-corpus DIR | run --binary PATH [--corpus DIR] [--mutants N | --seconds S] [--seed K] [--jobs J] [--target NAME] | regressions --binary PATH")
    exit(2)
}
