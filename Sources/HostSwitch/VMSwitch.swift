import Agent
import Glibc
import QMP
import SystemIO
import VMM

/// The VMs' part of a switch (AGENT.md, "VM preservation"): before anything is written, every
/// QEMU with a QMP socket in the VMs directory is found and planned (preserve in place, save
/// its RAM, or cold); after the stage phase they are stopped and saved in parallel, the
/// sentinel is written, and the journal records each VM's events; on the other side of the
/// kexec `VMSwitch.resume` (the boot-time agent) verifies the sentinel and relaunches them.
///
/// One QMP connection per VM is opened here and kept until the save: QEMU serves one QMP
/// client at a time, and the plan's version and process come from that same connection.
public struct VMSwitch: Sendable {
    public struct Options: Sendable {
        public var vmsDirectory = VMDiscovery.defaultDirectory
        public var preservedMount = "/run/hostimg/preserved"
        public var stateDirectory = "/var/lib/hostimg/vm-state"
        public var sentinelPath = Sentinel.defaultPath
        /// `--allow-cold`: cold VMs are shut down and started afresh after the switch.
        public var allowCold = false
        public var procRoot = "/proc"
        /// How long a VM's QEMU has to answer on its QMP socket before it is planned cold.
        public var connectTimeout: Duration = .seconds(5)
        /// A test hook (`HOSTIMG_TEST_CORRUPT_SENTINEL=1` in the switch's environment): the
        /// sentinel is damaged right after it is written.
        public var corruptSentinel = getenv("HOSTIMG_TEST_CORRUPT_SENTINEL").map { String(cString: $0) == "1" } ?? false

        public init() {}
    }

    /// The plan and the open connections it was made with.
    public struct Prepared: @unchecked Sendable {
        public var plan: VMPlan
        /// By VM name.
        var clients: [String: QMP.Client]
        var vms: [RunningVM]
        var settings: VMPlan.Settings
        public var isEmpty: Bool { plan.entries.isEmpty }

        /// The plan again, now that the new slot's QEMU is known (after the install).
        public mutating func replan(newQEMU: NewSlotQEMU) {
            settings.newQEMU = newQEMU
            plan = VMPlan(vms: vms, settings: settings)
        }

        public func close() { clients.values.forEach { $0.close() } }
    }

    public var options: Options

    public init(options: Options) {
        self.options = options
    }

    /// Connects to every QMP socket, finds each QEMU's process and argv, and plans them.
    /// Writes nothing and pauses nothing.
    public func prepare(newQEMU: NewSlotQEMU, measuredKexecSeconds: Double?) async throws -> Prepared {
        var clients: [String: QMP.Client] = [:]
        for socket in sockets() {
            if let client = try? await QMP.Client.connect(path: socket, timeout: options.connectTimeout) { clients[socket] = client }
        }
        let found = clients
        var vms = try VMDiscovery.discover(directory: options.vmsDirectory, procRoot: options.procRoot) { socket in
            guard let client = found[socket] else { throw QMPError.closed }
            return client.peerProcess.pid
        }
        for index in vms.indices {
            if let version = clients[vms[index].socketPath]?.version {
                vms[index].qemuVersion = QEMUVersion(major: version.major, minor: version.minor, micro: version.micro)
            }
        }
        var settings = VMPlan.Settings()
        settings.preservedMount = options.preservedMount
        settings.stateDirectory = options.stateDirectory
        settings.stateDirectoryFreeBytes = SystemIO.freeBytes(nearest: options.stateDirectory) ?? 0
        settings.allowCold = options.allowCold
        settings.newQEMU = newQEMU
        settings.measuredKexecSeconds = measuredKexecSeconds
        let plan = VMPlan(vms: vms, settings: settings)
        var byName: [String: QMP.Client] = [:]
        for vm in vms { if let client = clients[vm.socketPath] { byName[vm.name] = client } }
        return Prepared(plan: plan, clients: byName, vms: vms, settings: settings)
    }

    /// The `*.qmp` sockets of the VMs directory.
    func sockets() -> [String] {
        ((try? SystemIO.list(options.vmsDirectory)) ?? []).filter { $0.hasSuffix(".qmp") && !$0.hasPrefix(".") }
            .map { options.vmsDirectory + "/" + $0 }
    }

    /// The new slot's QEMU from its UKI's os-release (`HOSTIMG_QEMU_VERSION`, a Debian
    /// version such as `1:7.2+dfsg-7+deb12u18`). Debian's stable updates of one upstream
    /// MAJOR.MINOR keep its machine types and stream format, and the package version does not
    /// carry QEMU's own micro, so a same-MAJOR.MINOR slot counts as the running version.
    public static func newSlotQEMU(osRelease: [String: String], running: [QEMUVersion]) -> NewSlotQEMU {
        guard let debian = osRelease["HOSTIMG_QEMU_VERSION"] else { return .absent }
        var upstream = Substring(debian)
        if let colon = upstream.firstIndex(of: ":") { upstream = upstream[upstream.index(after: colon)...] }
        let numbers = upstream.prefix { $0.isNumber || $0 == "." }.split(separator: ".").compactMap { Int($0) }
        guard numbers.count >= 2 else { return .unknown }
        let version = QEMUVersion(major: numbers[0], minor: numbers[1], micro: numbers.count > 2 ? numbers[2] : 0)
        if let same = running.filter({ ($0.major, $0.minor) == (version.major, version.minor) }).max() { return .version(same) }
        return .version(version)
    }

    /// The preserved region's identity on this kernel: `memmap=SIZE!OFFSET` from its command
    /// line (the last one, as the kernel applies them in order); nil without one.
    public static func region(commandLine: String) -> Sentinel.Region? {
        // Any white space or NUL separates: a UKI's .cmdline may end in a newline or a NUL.
        let words = commandLine.split { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == "\0" }
        let memmaps = words.filter { $0.hasPrefix("memmap=") && $0.contains("!") }
        guard let last = memmaps.last else { return nil }
        let value = last.dropFirst("memmap=".count)
        guard let bang = value.firstIndex(of: "!") else { return nil }
        return Sentinel.Region(size: String(value[..<bang]), offset: String(value[value.index(after: bang)...]))
    }
}
