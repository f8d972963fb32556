import BuildPipeline
import Foundation
import Testing
import TestSupport

/// The images and bundles of the switch tests: versions from copies of a manifest with only
/// the version changed (and for a failing version, one health check that exits 1), signed
/// with one development key; a bundle with a flipped payload byte; the same bundle signed by
/// another key. Bundles are padded to whole MiB so QEMU takes them as raw disks.
struct SwitchVariants {
    struct Build {
        var image: String
        var bundle: String
        var bundleDisk: String
        var rootHash: String
    }

    var v1: Build
    var v2: Build
    var v3: Build
    var flipped: String
    var foreign: String

    /// Version 1 and a version 2 (`v2Extra` after the version), signed alike; `prepare`
    /// changes the project copy first. The flipped copy of version 2's bundle as the third.
    static func pair(in scratch: ScratchDirectory, base: String, lock: String, v2Extra: String = "",
                     prepare: (String) throws -> Void = { _ in }) async throws -> (v1: Build, v2: Build, flipped: String) {
        let project = try copyProject(in: scratch)
        try prepare(project)
        _ = try BootEndToEndTests.developmentSigning(in: scratch, commonName: "hostimg development key (switch)")
        let key = (scratch.path("key.pem"), scratch.path("cert.pem"))
        let v1 = try await variant(project, scratch, "v1", base: base, lock: lock, extra: "", key: key)
        let v2 = try await variant(project, scratch, "v2", base: base, lock: lock, extra: "image:\n  version: 0.2.0\n" + v2Extra, key: key)
        return (v1, v2, try flippedCopy(of: v2.bundle, in: scratch))
    }

    /// A copy of `bundle` with one byte flipped in the middle (inside the root payload).
    static func flippedCopy(of bundle: String, in scratch: ScratchDirectory) throws -> String {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: bundle))
        bytes[bytes.count / 2] ^= 0x01
        let flipped = scratch.path("flipped.bundle")
        try bytes.write(to: URL(fileURLWithPath: flipped))
        try pad(flipped)
        return flipped
    }

    /// `foreign: false` skips the bundle signed by another key (its slot is then version 2's).
    static func build(in scratch: ScratchDirectory, base: String = "qemu-dev.yaml", lock: String = "qemu-dev.lock",
                      foreign withForeign: Bool = true) async throws -> SwitchVariants {
        let project = try copyProject(in: scratch)
        try "#!/bin/sh\necho 'version 3 is unhealthy on purpose (test)'\nexit 1\n"
            .write(toFile: project + "/overlays/failing-health/etc/hostimg/health.d/90-fail", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: project + "/overlays/failing-health/etc/hostimg/health.d/90-fail")
        _ = try BootEndToEndTests.developmentSigning(in: scratch, commonName: "hostimg development key (switch)")
        let key = (scratch.path("key.pem"), scratch.path("cert.pem"))
        let v1 = try await variant(project, scratch, "v1", base: base, lock: lock, extra: "", key: key)
        let v2 = try await variant(project, scratch, "v2", base: base, lock: lock, extra: "image:\n  version: 0.2.0\n", key: key)
        let v3 = try await variant(project, scratch, "v3", base: base, lock: lock,
                                   extra: "image:\n  version: 0.3.0\noverlays:\n  - ../overlays/failing-health\n", key: key)
        var foreign = v2
        if withForeign {
            let other = try ScratchDirectory()
            _ = try BootEndToEndTests.developmentSigning(in: other, commonName: "another key")
            foreign = try await variant(project, scratch, "foreign", base: base, lock: lock, extra: "image:\n  version: 0.2.0\n",
                                        key: (other.path("key.pem"), other.path("cert.pem")))
        }
        return SwitchVariants(v1: v1, v2: v2, v3: v3, flipped: try flippedCopy(of: v2.bundle, in: scratch), foreign: foreign.bundleDisk)
    }

    static func copyProject(in scratch: ScratchDirectory) throws -> String {
        let project = scratch.path("project")
        try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
        for directory in ["manifests", "kernels", "overlays", "hardware"] {
            try FileManager.default.copyItem(atPath: RootFSEndToEndTests.repository + "/" + directory, toPath: project + "/" + directory)
        }
        try FileManager.default.createDirectory(atPath: project + "/overlays/failing-health/etc/hostimg/health.d", withIntermediateDirectories: true)
        return project
    }

    /// `base` extended by `extra` (YAML), built into scratch/NAME with `key`.
    static func variant(_ project: String, _ scratch: ScratchDirectory, _ name: String, base: String, lock: String,
                        extra: String, key: (String, String)) async throws -> Build {
        let directory = (base as NSString).deletingLastPathComponent
        let manifest = project + "/manifests/" + (directory.isEmpty ? "" : directory + "/") + "switch-\(name).yaml"
        try "extends:\n  - \((base as NSString).lastPathComponent)\n\(extra)".write(toFile: manifest, atomically: true, encoding: .utf8)
        var options = Pipeline.Options(manifest: manifest, output: scratch.path("out-\(name)"), cache: RootFSEndToEndTests.cache)
        options.root = project
        options.lockPath = project + "/manifests/" + lock
        options.target = .bundle
        options.image = ImageRequest(signing: .files(key: key.0, certificate: key.1), environment: ProcessInfo.processInfo.environment)
        let result = try await Pipeline(options).run()
        let bundle = try #require(result.bundlePath)
        let disk = scratch.path("\(name).bundle.disk")
        try FileManager.default.copyItem(atPath: bundle, toPath: disk)
        try pad(disk)
        let image = try #require(result.report.disk)
        return Build(image: image.path, bundle: bundle, bundleDisk: disk, rootHash: image.rootHash)
    }

    /// Pads a file with zeros to a whole MiB.
    static func pad(_ path: String) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: (size + (1 << 20) - 1) / (1 << 20) * (1 << 20))
        try handle.close()
    }
}

/// `hostimg status --json` in the guest, the fields the tests read.
struct SwitchStatus {
    struct SlotState { var label: String; var boot: String }
    var raw: String
    var slots: [String: SlotState] = [:]
    var running: String?
    var result: String?
    var reason: String?
    var interrupted: String?
    var blackout: Double?

    func slot(_ letter: String) -> SlotState? { slots[letter] }

    static func read(_ console: GuestConsole) async throws -> SwitchStatus {
        let output = try await console.run("hostimg status --json").output
        var status = SwitchStatus(raw: output)
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
        for slot in object["slots"] as? [[String: Any]] ?? [] {
            guard let letter = slot["slot"] as? String else { continue }
            status.slots[letter] = SlotState(label: slot["label"] as? String ?? "", boot: slot["boot"] as? String ?? "")
            if slot["running"] as? Bool == true { status.running = letter }
        }
        let last = object["lastSwitch"] as? [String: Any]
        status.result = last?["result"] as? String
        status.reason = last?["reason"] as? String
        status.interrupted = last?["interrupted"] as? String
        status.blackout = last?["blackoutSeconds"] as? Double
        return status
    }
}
