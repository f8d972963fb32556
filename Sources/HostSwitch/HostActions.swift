import Agent
import Glibc
import SystemIO

/// What a switch asks of the host beyond files and the disk: the running command line, the
/// clock, kexec, the watchdog, the reboot. `LinuxHost` does it for real; tests give a fake
/// that records the calls, so no test ever reaches a real kexec or reboot.
public protocol HostActions: Sendable {
    /// /proc/cmdline.
    func commandLine() throws -> String
    func moment() -> SwitchJournal.Moment
    /// Why this kernel cannot kexec, or nil when it can.
    func kexecUnavailable() -> String?
    /// kexec_file_load of the UKI at `path` (its .linux, .initrd, .cmdline).
    func loadKexec(uki path: String) throws
    /// Drops what `loadKexec` loaded.
    func unloadKexec()
    func armWatchdog(timeout: Int32) throws -> HostWatchdog.Armed
    func disarmWatchdog()
    /// sync, then reboot(LINUX_REBOOT_CMD_KEXEC). Returns only when that failed.
    func kexec() throws
    /// A clean reboot through the firmware (`systemctl reboot`). Returns when it was asked for.
    func firmwareReboot() throws
    /// 16 random bytes (the transaction id, fresh PARTUUIDs).
    func random() throws -> [UInt8]
}

/// The real host.
public struct LinuxHost: HostActions {
    public var watchdog = HostWatchdog()
    public var stagingDirectory = KexecImage.stagingDirectory

    public init() {}

    public func commandLine() throws -> String {
        String(decoding: try SystemIO.readFile("/proc/cmdline", limit: 1 << 16), as: UTF8.self)
    }

    public func moment() -> SwitchJournal.Moment { .now() }

    public func kexecUnavailable() -> String? {
        guard SystemIO.exists("/sys/kernel/kexec_loaded") else {
            return "the running kernel has no kexec (/sys/kernel/kexec_loaded is missing)"
        }
        if let disabled = try? SystemIO.readFile("/proc/sys/kernel/kexec_load_disabled", limit: 16),
           disabled.first == UInt8(ascii: "1") {
            return "kexec is disabled on this host (/proc/sys/kernel/kexec_load_disabled is 1)"
        }
        return nil
    }

    public func loadKexec(uki path: String) throws {
        try KexecImage(uki: path).load(stagingDirectory: stagingDirectory)
    }

    public func unloadKexec() { KexecImage.unload(stagingDirectory: stagingDirectory) }

    public func armWatchdog(timeout: Int32) throws -> HostWatchdog.Armed { try watchdog.arm(timeout: timeout) }

    public func disarmWatchdog() { _ = try? watchdog.disarm() }

    public func kexec() throws {
        SystemIO.syncAll()
        try SystemIO.reboot(.kexec)
    }

    public func firmwareReboot() throws {
        SystemIO.syncAll()
        _ = try SystemIO.run("/usr/bin/systemctl", ["reboot"])
    }

    public func random() throws -> [UInt8] { try SlotEmptier.urandom() }
}
