import Foundation
import Glibc
import Testing
import TestSupport
import VMM

/// A real QEMU (TCG, paused with -S): discovered through its socket and /proc, its argv
/// read back word for word, its RAM file where QEMU itself put it (so `,,` is read as QEMU
/// reads it), planned `.preserve`, and the relaunch argv accepted by QEMU.
@Suite(.serialized) struct RealQEMUTests {
    static let binary = Tools.find("qemu-system-x86_64")

    static func launch(_ argv: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits up to 20 s for QEMU to create `path` (its QMP socket, its RAM file).
    static func waitFor(_ path: String, of process: Process) throws {
        for _ in 0..<200 where process.isRunning {
            if FileManager.default.fileExists(atPath: path) { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
    }

    /// SIGKILL, not `terminate()`'s SIGTERM: Process spawns from a dispatch thread, whose
    /// signal mask (all blocked) the child inherits, so QEMU never sees a SIGTERM.
    static func stop(_ process: Process) {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    static func version(_ binary: String) throws -> QEMUVersion? {
        // "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)"
        let words = try Tools.run(binary, ["--version"]).stdoutText.split(separator: " ")
        guard let index = words.firstIndex(of: "version"), index + 1 < words.count else { return nil }
        return QEMUVersion(String(words[index + 1]))
    }

    /// The RAM file's name has a comma, given as `,,`: QEMU creating `web,1.ram` shows it reads
    /// the escape as `QEMUOptionList` does.
    @Test(.enabled(if: binary != nil, "qemu-system-x86_64 is not installed"))
    func discoverPlanAndRelaunchARealQEMU() throws {
        let binary = try #require(Self.binary)
        let scratch = try ScratchDirectory()
        let preserved = scratch.path("preserved")
        let vms = scratch.path("vms")
        try FileManager.default.createDirectory(atPath: preserved, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: vms, withIntermediateDirectories: true)
        let socket = "\(vms)/web.qmp"
        let argv = [
            binary, "-machine", "pc-q35-7.2,accel=tcg,memory-backend=ram0", "-m", "64M",
            "-object", "memory-backend-file,id=ram0,size=64M,mem-path=\(preserved)/web,,1.ram,share=on",
            "-S", "-nodefaults", "-display", "none", "-name", "web", "-qmp", "unix:\(socket),server=on,wait=off",
        ]
        let first = try Self.launch(argv)
        defer { Self.stop(first) }
        try Self.waitFor(socket, of: first)
        // The socket comes first: QEMU makes its monitors before the memory backends.
        try Self.waitFor("\(preserved)/web,1.ram", of: first)

        var found = try VMDiscovery.discover(directory: vms) { _ in first.processIdentifier }
        #expect(found.map(\.name) == ["web"] && found.first?.argv == argv && found.first?.problem == nil)
        let version = try #require(try Self.version(binary))
        found[0].qemuVersion = version
        var settings = VMPlan.Settings()
        settings.preservedMount = preserved
        settings.newQEMU = .version(version)
        let plan = VMPlan(vms: found, settings: settings)
        #expect(plan.entries.first?.path == .preserve && !plan.isBlocked, "\(plan.lines)")
        #expect(plan.entries.first?.preservedFiles == [VMPlan.PreservedFile(path: "\(preserved)/web,1.ram", bytes: 64 << 20)])

        Self.stop(first)
        try? FileManager.default.removeItem(atPath: socket)
        let relaunch = try #require(plan.entries.first?.arguments?.with(incomingDefer: true))
        let second = try Self.launch(relaunch)
        defer { Self.stop(second) }
        try Self.waitFor(socket, of: second)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(second.isRunning, "QEMU accepts the relaunch argv and waits for the incoming migration")
        let again = try VMDiscovery.discover(directory: vms) { _ in second.processIdentifier }
        #expect(again.first?.argv == argv + ["-incoming", "defer"])
    }
}
