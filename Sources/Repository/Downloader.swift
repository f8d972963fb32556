import ContentStore
import Foundation

/// One file to fetch: where from, what it must hash to (from a signed index), and a name for
/// messages and progress ("linux-image-6.1.0-9-amd64_6.1.27-1_amd64.deb").
public struct DownloadRequest: Sendable, Hashable {
    public var url: URL
    /// Lowercase hex SHA-256.
    public var sha256: String
    public var size: UInt64
    public var name: String

    public init(url: URL, sha256: String, size: UInt64, name: String) {
        self.url = url
        self.sha256 = sha256.lowercased()
        self.size = size
        self.name = name
    }

    var ref: ContentStore.Ref { ContentStore.Ref(sha256: sha256, size: size) }
}

/// What the downloader reports while it works; the CLI decides how to draw it.
public enum DownloadEvent: Sendable, Equatable {
    /// Bytes received so far and the total still to download (cached files excluded).
    case progress(bytesDone: UInt64, bytesTotal: UInt64)
    /// A file is verified and in the store; `cached` when it was there already.
    case finished(name: String, ref: ContentStore.Ref, cached: Bool)
}

/// Fetches files into the content store with bounded parallelism, verifying size and SHA-256
/// while the bytes stream to disk. An object appears in the store only complete and verified
/// (ContentStore's temporary-file-then-rename); a failed or cut-off transfer leaves nothing.
public struct Downloader: Sendable {
    public var store: ContentStore
    /// Transfers running at once.
    public var parallelism: Int
    /// Extra attempts after a transient failure (timeouts, dropped connections, HTTP 5xx).
    public var retries: Int
    public var retryDelay: Duration
    /// Seconds without data before a request times out.
    public var timeout: TimeInterval

    public init(store: ContentStore, parallelism: Int = 6, retries: Int = 2,
                retryDelay: Duration = .seconds(1), timeout: TimeInterval = 60) {
        self.store = store
        self.parallelism = max(1, parallelism)
        self.retries = max(0, retries)
        self.retryDelay = retryDelay
        self.timeout = timeout
    }

    /// Downloads every request not already stored; returns their references in request order.
    public func fetch(files: [DownloadRequest],
                      progress: (@Sendable (DownloadEvent) -> Void)? = nil) async throws -> [ContentStore.Ref] {
        let pending = files.filter { !store.contains($0.ref) }
        let meter = ProgressMeter(total: pending.reduce(0) { $0 + $1.size }, report: progress)
        return try await withThrowingTaskGroup(of: (Int, ContentStore.Ref).self) { group in
            var results = [ContentStore.Ref?](repeating: nil, count: files.count)
            var next = 0
            func launch() {
                let index = next
                let request = files[index]
                next += 1
                group.addTask { (index, try await self.fetchOne(request, meter: meter)) }
            }
            while next < files.count && next < parallelism { launch() }
            while let (index, ref) = try await group.next() {
                results[index] = ref
                if next < files.count { launch() }
            }
            return results.compactMap { $0 }
        }
    }

    /// The same, for callers holding tuples.
    public func fetch(files: [(url: URL, sha256: String, size: UInt64, name: String)],
                      progress: (@Sendable (DownloadEvent) -> Void)? = nil) async throws -> [ContentStore.Ref] {
        try await fetch(files: files.map { DownloadRequest(url: $0.url, sha256: $0.sha256, size: $0.size, name: $0.name) },
                        progress: progress)
    }

    /// Fetches a small file whose hash nobody can know in advance (`InRelease`) into memory,
    /// refusing more than `limit` bytes. Its content must be verified by the caller.
    public func fetchUnverified(_ url: URL, name: String, limit: Int = 64 << 20) async throws -> [UInt8] {
        try await withRetries(url: url, name: name) {
            let buffer = ByteBuffer()
            try await Transfer.run(url, timeout: timeout) { chunk in
                guard buffer.bytes.count + chunk.count <= limit else {
                    throw Transfer.Failure(detail: "larger than the \(limit)-byte limit", transient: false)
                }
                buffer.bytes.append(contentsOf: chunk)
            }
            return buffer.bytes
        }
    }

    func fetchOne(_ request: DownloadRequest, meter: ProgressMeter) async throws -> ContentStore.Ref {
        if store.contains(request.ref) {
            meter.finished(request.name, request.ref, cached: true)
            return request.ref
        }
        let ref = try await withRetries(url: request.url, name: request.name) {
            let writer = try ContentStore.Writer(store: store)
            let counter = ByteCounter()
            do {
                try await Transfer.run(request.url, timeout: timeout) { chunk in
                    // Stop early instead of filling the disk when a server sends too much.
                    guard counter.count + UInt64(chunk.count) <= request.size else {
                        throw Transfer.Failure(
                            detail: "more than the \(request.size) bytes the index lists", transient: false)
                    }
                    counter.count += UInt64(chunk.count)
                    try writer.write(chunk)
                    meter.add(UInt64(chunk.count))
                }
                return try writer.commit(expecting: request.ref, what: request.name)
            } catch {
                writer.abandon()
                meter.add(0 &- counter.count)
                throw error
            }
        }
        meter.finished(request.name, ref, cached: false)
        return ref
    }

    /// Runs `attempt` up to `1 + retries` times while it fails transiently; turns the last
    /// failure into a RepositoryError naming the URL and file.
    func withRetries<T>(url: URL, name: String, _ attempt: () async throws -> T) async throws -> T {
        var attempts = 0
        while true {
            attempts += 1
            do {
                return try await attempt()
            } catch let failure as Transfer.Failure {
                if failure.transient && attempts <= retries {
                    try await Task.sleep(for: retryDelay)
                    continue
                }
                if let status = failure.status, !failure.transient {
                    throw RepositoryError.httpStatus(url: url.absoluteString, status: status, name: name)
                }
                throw RepositoryError.transfer(url: url.absoluteString, name: name, attempts: attempts,
                                               detail: failure.detail)
            } catch let error as ContentStore.StoreError {
                switch error {
                case .sizeMismatch where attempts <= retries:
                    // A short body without a transport error: a proxy or server cut it off.
                    try await Task.sleep(for: retryDelay)
                    continue
                case .sizeMismatch, .hashMismatch:
                    throw RepositoryError.integrity(url: url.absoluteString, name: name, detail: error.description)
                default:
                    throw error
                }
            }
        }
    }
}

/// Mutable byte counts shared between a transfer's sink and the code around it. Each is used
/// by one transfer at a time (the sink runs serially), so no lock is needed for these two.
final class ByteCounter: @unchecked Sendable { var count: UInt64 = 0 }
final class ByteBuffer: @unchecked Sendable { var bytes: [UInt8] = [] }

/// Totals across parallel transfers; reports at most every 256 KiB so the CLI is not flooded.
final class ProgressMeter: @unchecked Sendable {
    private let lock = NSLock()
    private let total: UInt64
    private var done: UInt64 = 0
    private var lastReported: UInt64 = 0
    private let report: (@Sendable (DownloadEvent) -> Void)?

    init(total: UInt64, report: (@Sendable (DownloadEvent) -> Void)?) {
        self.total = total
        self.report = report
    }

    /// Adds (or, with a wrapped negative value, takes back) received bytes.
    func add(_ delta: UInt64) {
        guard let report else { return }
        let snapshot: UInt64? = lock.withLock {
            done &+= delta
            let moved = done > lastReported ? done - lastReported : lastReported - done
            guard moved >= 256 * 1024 || done == total else { return nil }
            lastReported = done
            return done
        }
        if let snapshot { report(.progress(bytesDone: snapshot, bytesTotal: total)) }
    }

    func finished(_ name: String, _ ref: ContentStore.Ref, cached: Bool) {
        report?(.finished(name: name, ref: ref, cached: cached))
    }
}
