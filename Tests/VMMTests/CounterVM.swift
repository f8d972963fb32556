import Foundation
import QMP
import SystemIO
import TestSupport
import VMM

/// One counter guest (TestSupport's CounterBootSector) under QEMU TCG: its files in a scratch
/// directory, its RAM a shared file in /dev/shm, and its command line.
final class CounterVM {
    static let qemu = Tools.find("qemu-system-x86_64")

    let directory: ScratchDirectory
    let socket: String
    let disk: String
    let log: String
    /// RAM files this VM's runs used, removed at the end.
    private(set) var ramFiles: [String] = []

    init() throws {
        directory = try ScratchDirectory()
        socket = directory.path("vm.qmp")
        disk = directory.path("boot.img")
        log = directory.path("qemu.log")
        try Data(CounterBootSector.sector).write(to: URL(fileURLWithPath: disk))
    }

    deinit {
        for file in ramFiles { try? FileManager.default.removeItem(atPath: file) }
    }

    /// A fresh RAM file path (QEMU creates it, zeroed).
    func newRAMFile() -> String {
        let path = "/dev/shm/hostimg-vmm-test-\(UUID().uuidString)"
        ramFiles.append(path)
        return path
    }

    /// The command line, as /proc/PID/cmdline would show it: 16 MiB of RAM shared from
    /// `ram`, the boot sector as an IDE disk, QMP on `socket`.
    func arguments(ram: String) -> [String] {
        [
            CounterVM.qemu ?? "qemu-system-x86_64", "-accel", "tcg", "-machine", "pc", "-m", "16", "-display", "none",
            "-nodefaults", "-serial", "none",
            "-object", "memory-backend-file,id=ram,size=16M,mem-path=\(ram),share=on", "-machine", "memory-backend=ram",
            "-drive", "file=\(disk),format=raw,if=ide",
            "-qmp", "unix:\(socket),server=on,wait=off",
        ]
    }

    /// Starts QEMU with `arguments` and connects once its socket greets.
    func start(_ arguments: [String]) async throws -> (VMM.QEMUProcess, QMP.Client) {
        let process = try VMM.QEMUProcess.spawn(
            executable: arguments[0], arguments: arguments, environment: SystemIO.programEnvironment, logPath: log)
        do {
            let client = try await QMP.Client.connect(path: socket, timeout: .seconds(20), waitForListener: true)
            return (process, client)
        } catch {
            try? process.kill()
            throw error
        }
    }

    /// The counter, read through the human monitor.
    static func counter(_ client: QMP.Client) async throws -> UInt32 {
        let output = try await client.execute("human-monitor-command", arguments: ["command-line": .string(CounterBootSector.readCommand)])
        guard let text = output.string, let value = CounterBootSector.parseCounter(text) else {
            throw CounterVMError.unreadable("\(output)")
        }
        return value
    }

    /// The counter once the guest has booted and counts (at most 20 s).
    static func counting(_ client: QMP.Client) async throws -> UInt32 {
        for _ in 0..<200 {
            let value = try await counter(client)
            if value > 0 { return value }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CounterVMError.unreadable("the counter stayed 0 for 20 s: the boot sector did not run")
    }

    /// The counter as it is in a RAM file (the word at 0x500, little-endian).
    static func counter(inRAMFile path: String) throws -> UInt32 {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(CounterBootSector.counterAddress))
        let bytes = [UInt8](try handle.read(upToCount: 4) ?? Data())
        guard bytes.count == 4 else { throw CounterVMError.unreadable("\(path) is shorter than 0x504 bytes") }
        return bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The QEMU's log, for failure messages.
    var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
}

enum CounterVMError: Error { case unreadable(String) }
