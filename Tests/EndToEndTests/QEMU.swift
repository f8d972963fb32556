import Foundation
import TestSupport

/// Runs a QEMU guest with its serial console going to a file, and watches that file: the
/// time each awaited line first appeared (from QEMU's start) and the whole console text.
/// Never waits past its deadline: a guest that hangs is killed.
final class QEMUGuest {
    struct Outcome {
        var console: String
        /// Seconds from QEMU's start to the first line containing each marker.
        var seen: [String: Double]
        var exited: Bool
        var seconds: Double
    }

    static var binary: String? { Tools.find("qemu-system-x86_64") }

    /// Direct kernel boot of `disk` (copy-on-write: the file is never written) on the CPU
    /// model `cpu` (QEMU's `-cpu`).
    static func boot(kernel: String, initrd: String, commandLine: String, disk: String, console: String,
                     markers: [String], until finalMarker: String, deadline: Double, cpu: String = "max") throws -> Outcome {
        guard let qemu = binary else { throw CocoaError(.fileNoSuchFile) }
        FileManager.default.createFile(atPath: console, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: qemu)
        process.arguments = [
            "-accel", "tcg", "-machine", "q35", "-cpu", cpu, "-smp", "2", "-m", "1536",
            "-nographic", "-no-reboot", "-monitor", "none", "-serial", "file:\(console)",
            "-kernel", kernel, "-initrd", initrd, "-append", commandLine,
        ] + Firmware.q35Devices(disk: disk, snapshot: true)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let start = Date()
        try process.run()
        var seen: [String: Double] = [:]
        var text = ""
        while true {
            let elapsed = Date().timeIntervalSince(start)
            text = (try? String(contentsOfFile: console, encoding: .utf8))
                ?? String(decoding: (FileManager.default.contents(atPath: console) ?? Data()), as: UTF8.self)
            for marker in markers where seen[marker] == nil && text.contains(marker) {
                seen[marker] = elapsed
            }
            if !process.isRunning || text.contains(finalMarker) && elapsed - (seen[finalMarker] ?? elapsed) > 2 || elapsed > deadline {
                break
            }
            if seen[finalMarker] == nil, text.contains(finalMarker) { seen[finalMarker] = elapsed }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let exited = !process.isRunning
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        text = String(decoding: (FileManager.default.contents(atPath: console) ?? Data()), as: UTF8.self)
        return Outcome(console: text, seen: seen, exited: exited, seconds: Date().timeIntervalSince(start))
    }
}
