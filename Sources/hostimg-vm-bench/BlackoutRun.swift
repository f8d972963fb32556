import Agent
import Glibc
import HostSwitch
import QMP
import SystemIO
import VMM

/// One measured VM: a QEMU (TCG) running `FillingGuest` with `megabytes` of RAM, its RAM a
/// shared file in the directory standing in for the preserved region (`preserve`) or anonymous
/// memory that must travel in the migration stream (`stream`), paused and resumed either by
/// the agent's own code (`VMSwitch`: plan, parallel save, journal, sentinel, then the
/// boot-time resume) or by the bare QEMU sequence (`VMM.save` then `VMM.restore`: the floor).
/// The kexec itself is not here: on this machine the "new kernel" is the same one.
struct BlackoutRun {
    enum Mode: String, CaseIterable { case preserve, stream }
    enum Driver: String, CaseIterable { case agent, floor }

    /// Seconds: stop → running again, and its parts.
    struct Result {
        var blackout: Double
        var save: Double
        var restore: Double
        var stateBytes: UInt64
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let work: String
    let preserved: String
    let megabytes: Int
    let mode: Mode

    var vms: String { work + "/vms" }
    var state: String { work + "/state" }
    var socket: String { vms + "/bench.qmp" }
    var ram: String { preserved + "/bench.ram" }
    var sector: String { work + "/bench.img" }

    var arguments: [String] {
        var argv = [BlackoutRun.qemu, "-accel", "tcg", "-machine", "pc", "-m", "\(megabytes)", "-display", "none",
                    "-nodefaults", "-serial", "none"]
        if mode == .preserve {
            argv += ["-object", "memory-backend-file,id=ram,size=\(megabytes)M,mem-path=\(ram),share=on",
                     "-machine", "memory-backend=ram"]
        }
        return argv + ["-drive", "file=\(sector),format=raw,if=ide", "-qmp", "unix:\(socket),server=on,wait=off"]
    }

    static let qemu = ["/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64"]
        .first { (try? SystemIO.status(of: $0)) != nil } ?? "qemu-system-x86_64"

    /// Starts the VM and waits until its RAM is filled (the counter moves).
    func start() async throws -> UInt32 {
        SystemIO.removeIfPresent(ram)
        SystemIO.removeIfPresent(socket)
        try SystemIO.replace(sector, with: FillingGuest.sector(megabytes: megabytes))
        _ = try VMM.QEMUProcess.spawn(executable: arguments[0], arguments: arguments, environment: SystemIO.programEnvironment,
                                      logPath: work + "/qemu.log")
        return try await counter(after: 0, timeout: .seconds(600))
    }

    /// The counter once it is above `after`.
    func counter(after: UInt32, timeout: Duration) async throws -> UInt32 {
        let client = try await QMP.Client.connect(path: socket, timeout: .seconds(30), waitForListener: true)
        defer { client.close() }
        let deadline = SystemIO.MonotonicInstant.now().advanced(by: timeout)
        while SystemIO.MonotonicInstant.now() < deadline {
            let output = try await client.execute("human-monitor-command", arguments: ["command-line": .string(FillingGuest.readCommand)])
            if let value = output.string.flatMap(FillingGuest.parseCounter), value > after { return value }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "the guest's counter stayed at or below \(after) for \(timeout) (\(megabytes) MiB, \(mode))")
    }

    /// Ends the VM (whichever QEMU answers on the socket) and removes its files.
    func stop() async {
        if let client = try? await QMP.Client.connect(path: socket, timeout: .seconds(5)) {
            let process = try? VMM.QEMUProcess.attach(pid: client.peerProcess.pid)
            try? process?.kill()
            client.close()
            _ = await process?.waitForExit(timeout: .seconds(10))
        }
        for path in [ram, socket, state + "/bench.state", preserved + "/bench.state"] { SystemIO.removeIfPresent(path) }
    }
}
