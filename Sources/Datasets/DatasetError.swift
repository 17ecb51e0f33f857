/// Problems reading data from disk, each naming the file and what is wrong with it.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case notFound(dataset: String, searched: [String])
    /// The file, or what it decompresses to, is larger than its reader accepts.
    case tooLarge(path: String, limit: Int)

    public var description: String {
        switch self {
        case .fileNotFound(let path): return "\(path): no such file"
        case .unreadable(let path, let reason): return "\(path): cannot read: \(reason)"
        case .malformed(let path, let reason): return "\(path): not a valid file: \(reason)"
        case .tooLarge(let path, let limit): return "\(path): holds more than \(limit) bytes, the limit for this kind of file"
        case .notFound(let dataset, let searched):
            return "\(dataset) not found; looked in " + searched.joined(separator: ", ")
        }
    }
}
