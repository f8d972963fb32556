import Glibc
import SystemIO

/// The hardware watchdog as a switch uses it (AGENT.md, phase 2): armed before the kexec with
/// a timeout longer than the worst switch and left running (closed without the magic 'V'), so
/// a new kernel that hangs before it can bless itself is reset, and the firmware boots the
/// previous slot (whose boot entry the kexec path never demoted). The new slot's agent
/// disarms it after its health gate passed.
///
/// Where the device does not exist (no driver: Debian's cloud kernel has only softdog, which
/// dies with the kernel) arming reports that and the switch goes on unguarded; the journal
/// and `status` say so.
public struct HostWatchdog: Sendable {
    public static let defaultDevice = "/dev/watchdog"
    /// 10 minutes: a kexec under TCG reaches the agent in well under 2.
    public static let defaultTimeout: Int32 = 600

    public var device: String

    public init(device: String = HostWatchdog.defaultDevice) {
        self.device = device
    }

    public enum Armed: Sendable, Equatable {
        /// Running with `seconds` (as the driver set it).
        case armed(seconds: Int32)
        /// No watchdog device: nothing guards the new kernel.
        case absent
        /// Another process holds the device (systemd's RuntimeWatchdogSec=, a watchdog
        /// daemon): it is running already and that process keeps it.
        case busy
    }

    /// Opens the device (which starts the watchdog), sets the timeout, pets it once and
    /// closes it without the magic character, so it keeps counting down.
    public func arm(timeout: Int32) throws -> Armed {
        guard SystemIO.exists(device) else { return .absent }
        let file: SystemIO.File
        do throws(SystemIOError) {
            file = try SystemIO.File(path: device, flags: O_WRONLY)
        } catch let error where error.code == EBUSY {
            return .busy
        } catch {
            throw AgentError.slot("cannot arm the watchdog \(device): \(error)")
        }
        do {
            let set = try SystemIO.watchdogSetTimeout(file, seconds: timeout)
            try SystemIO.watchdogKeepalive(file)
            return .armed(seconds: set)
        } catch {
            throw AgentError.slot("cannot arm the watchdog \(device): \(error)")
        }
    }

    /// Stops the watchdog: open, the magic 'V', close. Returns false when there is no device.
    /// (Opening starts a stopped watchdog; the 'V' and the close stop it again.)
    @discardableResult
    public func disarm() throws -> Bool {
        guard SystemIO.exists(device) else { return false }
        do {
            let file = try SystemIO.File(path: device, flags: O_WRONLY)
            try file.write(Array("V".utf8), at: 0)
        } catch {
            throw AgentError.slot("cannot disarm the watchdog \(device): \(error); it will reset the host unless something pets it")
        }
        return true
    }
}
