import Foundation
import TestSupport
@testable import Manifests

/// A temporary folder for inputs a test generates (huge, binary, or laid out in folders),
/// removed when the test is done. Paths are absolute, so tests using it need no working
/// directory.
struct ScratchDirectory {
    let path: String

    /// Writes `bytes` to `relative`, creating folders; returns the absolute path.
    @discardableResult
    func write(_ relative: String, bytes: [UInt8]) throws -> String {
        let url = URL(fileURLWithPath: path + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        try write(relative, bytes: Array(text.utf8))
    }

    @discardableResult
    func directory(_ relative: String) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    /// Lints files of the scratch folder, named relative to it.
    func lint(_ relatives: String..., options: LintOptions = LintOptions()) throws -> LintResult {
        try Linter.lint(paths: relatives.map { path + "/" + $0 }, options: options)
    }
}

func withScratchDirectory<T>(_ body: (ScratchDirectory) throws -> T) throws -> T {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("hostimg-corpus-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(ScratchDirectory(path: path))
}

/// Lints `bytes` as a file named `name` in a scratch folder.
func lint(bytes: [UInt8], name: String = "manifest.yaml") throws -> [Diagnostic] {
    try withScratchDirectory { scratch in
        try scratch.write(name, bytes: bytes)
        return try scratch.lint(name).diagnostics
    }
}

/// `(rule, line, column)` of each diagnostic, in order: what most hostile-input tests compare.
func places(_ diagnostics: [Diagnostic]) -> [String] {
    diagnostics.map { "\($0.rule) \($0.location.line):\($0.location.column)" }
}


/// Valid manifests the hostile-input tests start from (paths need no other file: the kernel
/// file is written next to them by `writeValidSet`).
enum ValidInputs {
    static let kernel = """
    package: linux-image-cloud-amd64
    cmdline: [console=ttyS0]

    """

    static let manifest = """
    # A small valid manifest.
    image:
      name: scratch
      version: 1.0.0
    packages:
      include:
        - systemd
        - openssh-server
    kernel: kernels/k.yaml
    tuning:
      hugepages:
        default: 2M
        pools:
          - {size: 2M, count: 512}
      hugetlbfs:
        - {path: /dev/hugepages, pageSize: 2M}
      cpus:
        housekeeping: "0"
        isolated: "1-3"

    """

    /// Writes the kernel file the manifests name.
    static func writeKernel(in scratch: ScratchDirectory) throws {
        try scratch.write("kernels/k.yaml", kernel)
    }
}
