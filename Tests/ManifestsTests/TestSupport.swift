import Foundation
@testable import Manifests

/// The repository root, found from this file's path, so tests run from any directory.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// The working directory is one per process and Swift Testing runs tests in parallel: every
/// test that changes it goes through this lock (recursive, so `inRepository` may nest).
private let workingDirectoryLock = NSRecursiveLock()

/// Runs `body` with the repository root as the working directory, so diagnostics carry
/// repository-relative paths. Serialised: see `workingDirectoryLock`.
func inRepository<T>(_ body: () throws -> T) rethrows -> T {
    workingDirectoryLock.lock()
    defer { workingDirectoryLock.unlock() }
    let previous = FileManager.default.currentDirectoryPath
    _ = FileManager.default.changeCurrentDirectoryPath(repositoryRoot)
    defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
    return try body()
}

/// Lints YAML text written to a temporary file named `name` (folders are created, so
/// `kernels/x.yaml` is read as a kernel file).
func lint(_ yaml: String, name: String = "manifest.yaml", extraFiles: [String: String] = [:]) throws -> [Diagnostic] {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostimg-test-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    for (path, text) in extraFiles.merging([name: yaml], uniquingKeysWith: { a, _ in a }) {
        let url = directory.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if text.hasSuffix("/") {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } else {
            try Data(text.utf8).write(to: url)
        }
    }
    return try Linter.lint(paths: [directory.appendingPathComponent(name).path]).diagnostics
}
