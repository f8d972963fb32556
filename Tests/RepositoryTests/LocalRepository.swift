import Foundation
import TestSupport

/// A real, signed APT repository built inside a scratch directory with the upstream tools:
/// `.deb`s from `dpkg-deb --build`, `Packages` + `Packages.xz` (xz) for binary-amd64,
/// `Packages.gz` (gzip) for binary-all, a `Release` with SHA256 lines, `InRelease`
/// clear-signed by a throwaway gpg key, and that key exported as a binary keyring.
final class LocalRepository: @unchecked Sendable {
    struct Deb {
        var name: String
        var architecture: String
        var filename: String  // relative to the repository root
        var path: String
        var sha256: String
        var size: UInt64
    }

    static let tools = ["gpg", "gpgv", "dpkg-deb", "xz", "gzip", "sha256sum"]
    static var missingTools: [String] { tools.filter { Tools.find($0) == nil } }
    static let suite = "testing"

    let scratch: ScratchDirectory
    let root: String
    let keyring: String
    let gnupgHome: String
    var debs: [Deb] = []

    var rootURL: URL { URL(fileURLWithPath: root) }
    var dists: String { "\(root)/dists/\(Self.suite)" }

    /// - Parameters:
    ///   - validUntil: written as the Release's Valid-Until.
    ///   - noSupportForArchitectureAll: adds `No-Support-for-Architecture-all: Packages`.
    init(validUntil: Date = Date().addingTimeInterval(7 * 86400), noSupportForArchitectureAll: Bool = false) throws {
        scratch = try ScratchDirectory()
        root = scratch.path("repo")
        gnupgHome = scratch.path("gnupg")
        keyring = scratch.path("keyring.gpg")
        try FileManager.default.createDirectory(atPath: gnupgHome, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try Self.generateKey(home: gnupgHome, name: "hostimg test repository")
        try Self.exportKey(home: gnupgHome, to: keyring)

        debs.append(try makeDeb(name: "hello", architecture: "amd64", payload: "hello, world\n"))
        debs.append(try makeDeb(name: "hostimg-data", architecture: "all", payload: String(repeating: "data ", count: 20000)))
        debs.append(try makeDeb(name: "tiny", architecture: "amd64", payload: "x"))

        let amd64 = "\(dists)/main/binary-amd64"
        let all = "\(dists)/main/binary-all"
        try FileManager.default.createDirectory(atPath: amd64, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: all, withIntermediateDirectories: true)
        // With No-Support-for-Architecture-all, arch-all packages also sit in binary-amd64.
        let amd64Debs = debs.filter { $0.architecture == "amd64" || noSupportForArchitectureAll }
        try write(packages(amd64Debs), to: amd64 + "/Packages")
        try run("xz", ["-k", "-9", amd64 + "/Packages"])
        try write(packages(debs.filter { $0.architecture == "all" }), to: all + "/Packages")
        try run("gzip", ["-k", "-9", "-n", all + "/Packages"])
        try writeRelease(validUntil: validUntil, noSupportForArchitectureAll: noSupportForArchitectureAll)
        try sign(home: gnupgHome)
    }

    /// Runs gpg with a throwaway home, then stops the agent gpg started for it at once, so
    /// no agent outlives the call even if the test process dies later.
    @discardableResult
    static func gpg(home: String, _ arguments: [String]) throws -> Tools.Result {
        defer {
            if let gpgconf = Tools.find("gpgconf") {
                _ = try? Tools.run(gpgconf, ["--homedir", home, "--kill", "gpg-agent"])
            }
        }
        return try runTool("gpg", ["--batch", "--homedir", home] + arguments)
    }

    static func generateKey(home: String, name: String) throws {
        try gpg(home: home, ["--pinentry-mode", "loopback", "--passphrase", "",
                            "--quick-gen-key", "\(name) <test@example.invalid>", "ed25519", "sign", "never"])
    }

    static func exportKey(home: String, to path: String) throws {
        let result = try gpg(home: home, ["--export"])
        guard FileManager.default.createFile(atPath: path, contents: Data(result.stdout)) else {
            throw FixtureError("cannot write \(path)")
        }
    }

    /// Clear-signs `Release` into `InRelease` with the key in `home`.
    func sign(home: String) throws {
        try Self.gpg(home: home, ["--yes", "--pinentry-mode", "loopback", "--passphrase", "",
                        "--clearsign", "--digest-algo", "SHA256", "--output", dists + "/InRelease", dists + "/Release"])
    }

    func makeDeb(name: String, architecture: String, payload: String) throws -> Deb {
        let tree = scratch.path("build-\(name)")
        try FileManager.default.createDirectory(atPath: tree + "/DEBIAN", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tree + "/usr/share/\(name)", withIntermediateDirectories: true)
        try write("""
            Package: \(name)
            Version: 1.0-1
            Architecture: \(architecture)
            Maintainer: hostimg tests <test@example.invalid>
            Description: test package \(name)

            """, to: tree + "/DEBIAN/control")
        try write(payload, to: tree + "/usr/share/\(name)/payload")
        let filename = "pool/main/\(name.prefix(1))/\(name)/\(name)_1.0-1_\(architecture).deb"
        let path = root + "/" + filename
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try run("dpkg-deb", ["--root-owner-group", "-Zxz", "--build", tree, path])
        let (sha256, size) = try Self.digest(path)
        return Deb(name: name, architecture: architecture, filename: filename, path: path, sha256: sha256, size: size)
    }

    func packages(_ debs: [Deb]) -> String {
        debs.map { deb in
            """
            Package: \(deb.name)
            Version: 1.0-1
            Architecture: \(deb.architecture)
            Maintainer: hostimg tests <test@example.invalid>
            Filename: \(deb.filename)
            Size: \(deb.size)
            SHA256: \(deb.sha256)
            Description: test package \(deb.name)

            """
        }.joined(separator: "\n")
    }

    func writeRelease(validUntil: Date, noSupportForArchitectureAll: Bool) throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'UTC'"
        var text = """
            Origin: hostimg-test
            Suite: \(Self.suite)
            Codename: hostimg-test
            Date: \(formatter.string(from: Date().addingTimeInterval(-3600)))
            Valid-Until: \(formatter.string(from: validUntil))
            Architectures: all amd64
            Components: main

            """
        if noSupportForArchitectureAll { text += "No-Support-for-Architecture-all: Packages\n" }
        text += "SHA256:\n"
        for file in ["main/binary-all/Packages", "main/binary-all/Packages.gz",
                     "main/binary-amd64/Packages", "main/binary-amd64/Packages.xz"] {
            let (sha256, size) = try Self.digest(dists + "/" + file)
            text += " \(sha256) \(size) \(file)\n"
        }
        try write(text, to: dists + "/Release")
    }

    /// Replaces InRelease with the plain (unsigned) Release text.
    func replaceInReleaseWithUnsignedRelease() throws {
        try FileManager.default.removeItem(atPath: dists + "/InRelease")
        try FileManager.default.copyItem(atPath: dists + "/Release", toPath: dists + "/InRelease")
    }

    static func digest(_ path: String) throws -> (String, UInt64) {
        let result = try runTool("sha256sum", [path])
        let hash = String(result.stdoutText.prefix(64))
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value ?? 0
        return (hash, size)
    }

    func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> Tools.Result {
        try Self.runTool(tool, arguments)
    }

    @discardableResult
    static func runTool(_ tool: String, _ arguments: [String]) throws -> Tools.Result {
        guard let path = Tools.find(tool) else { throw FixtureError("\(tool) is not installed") }
        let result = try Tools.run(path, arguments)
        guard result.status == 0 else {
            throw FixtureError("\(tool) \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
        return result
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A second throwaway key, to sign with something the repository keyring does not hold.
final class ForeignKey: @unchecked Sendable {
    let scratch: ScratchDirectory
    let home: String

    init() throws {
        scratch = try ScratchDirectory()
        home = scratch.path("gnupg")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try LocalRepository.generateKey(home: home, name: "somebody else")
    }

}
