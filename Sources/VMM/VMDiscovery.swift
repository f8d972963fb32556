import Glibc
import SystemIO

/// A QEMU found through its QMP socket, as the plan takes it.
public struct RunningVM: Hashable, Sendable {
    /// `NAME` of the socket `NAME.qmp`.
    public var name: String
    /// The QMP socket's path.
    public var socketPath: String
    /// The QEMU process (the socket's peer), when it answered.
    public var pid: Int32?
    /// Its command line, from `/proc/PID/cmdline`.
    public var argv: [String]?
    /// Its QEMU version (QMP `query-version`), filled by the caller that talks QMP.
    public var qemuVersion: QEMUVersion?
    /// Why it could not be examined (nobody answers on the socket, no command line): such a
    /// VM is planned cold with this as the reason.
    public var problem: String?

    public init(
        name: String, socketPath: String, pid: Int32? = nil, argv: [String]? = nil,
        qemuVersion: QEMUVersion? = nil, problem: String? = nil
    ) {
        self.name = name
        self.socketPath = socketPath
        self.pid = pid
        self.argv = argv
        self.qemuVersion = qemuVersion
        self.problem = problem
    }
}

/// Finds the VMs to keep across a switch (AGENT.md, "Which VMs"): every QEMU that serves QMP
/// on a socket `NAME.qmp` in `/run/hostimg/vms`. The process behind a socket is its peer
/// (SO_PEERCRED, asked through `peerPID`, which the QMP client provides) and its command
/// line is `/proc/PID/cmdline`, so any launcher that follows the convention works and none
/// has to register anything.
public enum VMDiscovery {
    /// Where launchers put the QMP sockets.
    public static let defaultDirectory = "/run/hostimg/vms"

    /// /proc/PID/cmdline is read whole; a command line past this is refused (the kernel
    /// limits argv to a few MiB anyway).
    static let commandLineLimit = 4 << 20

    /// The VMs whose sockets are in `directory`, sorted by name; none when the directory does
    /// not exist. A socket nobody answers on, or whose process's command line cannot be
    /// read, gives a `RunningVM` with `problem` set, never an error: the plan reports it.
    /// `procRoot` is `/proc` except in tests.
    public static func discover(
        directory: String = defaultDirectory, procRoot: String = "/proc", peerPID: (String) throws -> Int32
    ) throws(SystemIOError) -> [RunningVM] {
        let names: [String]
        do throws(SystemIOError) {
            names = try SystemIO.list(directory)
        } catch where error.code == ENOENT {
            return []
        }
        return names.compactMap { file -> RunningVM? in
            guard file.hasSuffix(".qmp"), file.count > 4, !file.hasPrefix(".") else { return nil }
            let socket = directory + "/" + file
            return examine(RunningVM(name: String(file.dropLast(4)), socketPath: socket), procRoot: procRoot, peerPID: peerPID)
        }
    }

    /// Fills `vm`'s pid and argv, or its problem.
    static func examine(_ vm: RunningVM, procRoot: String, peerPID: (String) throws -> Int32) -> RunningVM {
        var vm = vm
        let pid: Int32
        do {
            pid = try peerPID(vm.socketPath)
        } catch {
            vm.problem = "nobody answers on its QMP socket \(vm.socketPath) (\(error))"
            return vm
        }
        guard pid > 0 else {
            vm.problem = "the peer of its QMP socket \(vm.socketPath) has no process id (\(pid))"
            return vm
        }
        vm.pid = pid
        let path = "\(procRoot)/\(pid)/cmdline"
        let bytes: [UInt8]
        do {
            bytes = try SystemIO.readFile(path, limit: commandLineLimit + 1)
        } catch {
            vm.problem = "cannot read the command line of process \(pid): \(error)"
            return vm
        }
        guard bytes.count <= commandLineLimit else {
            vm.problem = "the command line of process \(pid) is longer than \(commandLineLimit) bytes"
            return vm
        }
        do {
            vm.argv = try QEMUArguments(commandLine: bytes).argv
        } catch {
            vm.problem = "cannot read the command line of process \(pid): \(error)"
        }
        return vm
    }
}
