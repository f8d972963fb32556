import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Moves the bytes of one URL into a sink, chunk by chunk, so nothing larger than one chunk
/// (libcurl's receive buffer for HTTP, 1 MiB for files) is ever held in memory. The sink is
/// where hashing and storing happen; it may throw to stop the transfer.
///
/// HTTP goes through a `URLSessionDataDelegate` rather than `URLSession.bytes(for:)`, which
/// swift-corelibs-foundation does not provide; `didReceive data` hands over each chunk as it
/// arrives and the session's serial delegate queue keeps the sink single-threaded.
enum Transfer {
    /// A failure of one attempt, classified so the downloader knows whether to retry.
    struct Failure: Error {
        var detail: String
        var transient: Bool
        var status: Int?
        var underlying: (any Error)?
    }

    static func run(_ url: URL, timeout: TimeInterval,
                    sink: @escaping ([UInt8]) throws -> Void) async throws {
        switch url.scheme?.lowercased() {
        case "file": try readFile(url, sink: sink)
        case "http", "https": try await http(url, timeout: timeout, sink: sink)
        default: throw RepositoryError.unsupportedURL(url: url.absoluteString)
        }
    }

    static func readFile(_ url: URL, sink: ([UInt8]) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw Failure(detail: "\(url.path) does not exist or is not readable", transient: false)
        }
        defer { try? handle.close() }
        while true {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: 1 << 20)
            } catch {
                throw Failure(detail: "read error: \(error.localizedDescription)", transient: false, underlying: error)
            }
            guard let chunk, !chunk.isEmpty else { return }
            try sink([UInt8](chunk))
        }
    }

    static func http(_ url: URL, timeout: TimeInterval, sink: @escaping ([UInt8]) throws -> Void) async throws {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let delegate = StreamingDelegate(sink: sink)
        let session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: url)
        request.setValue("hostimg", forHTTPHeaderField: "User-Agent")
        let task = session.dataTask(with: request)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                delegate.start(continuation)
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
    }
}

/// Receives one data task's events on the session's serial delegate queue.
final class StreamingDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // Touched only on the serial delegate queue, after `start` (which happens before resume).
    private let sink: ([UInt8]) throws -> Void
    private var continuation: CheckedContinuation<Void, any Error>?
    private var failure: (any Error)?
    private var status: Int?

    init(sink: @escaping ([UInt8]) throws -> Void) {
        self.sink = sink
    }

    func start(_ continuation: CheckedContinuation<Void, any Error>) {
        self.continuation = continuation
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            status = http.statusCode
            completionHandler(.cancel)
            return
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil, status == nil else { return }
        do {
            try sink([UInt8](data))
        } catch {
            failure = error
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let continuation else { return }
        self.continuation = nil
        if let failure {
            continuation.resume(throwing: failure)
        } else if let status {
            // 408, 429 and 5xx are worth another try; 404 and friends are not.
            let transient = status == 408 || status == 429 || status >= 500
            continuation.resume(throwing: Transfer.Failure(detail: "HTTP \(status)", transient: transient, status: status))
        } else if let error {
            continuation.resume(throwing: Transfer.Failure(detail: Self.describe(error), transient: Self.isTransient(error),
                                                           underlying: error))
        } else {
            continuation.resume()
        }
    }

    static func isTransient(_ error: any Error) -> Bool {
        guard let urlError = error as? URLError else { return false }
        switch urlError.code {
        case .timedOut, .networkConnectionLost, .cannotConnectToHost, .notConnectedToInternet,
             .dnsLookupFailed, .cannotFindHost, .resourceUnavailable, .cannotLoadFromNetwork,
             .badServerResponse, .zeroByteResource:
            return true
        default:
            return false
        }
    }

    static func describe(_ error: any Error) -> String {
        if let urlError = error as? URLError {
            return "\(urlError.localizedDescription) (URLError \(urlError.code.rawValue))"
        }
        return "\(error)"
    }
}
