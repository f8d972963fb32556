import Glibc
import SystemIO

/// The console: /dev/console as stdin, stdout and stderr, one unbuffered line per write.
public enum Console {
    public static let prefix = "hostimg-init: "

    /// Make /dev/console fds 0, 1 and 2 (the kernel may have given init none when the
    /// initramfs had no /dev/console node).
    public static func attach() {
        let fd = open("/dev/console", O_RDWR | O_NOCTTY)
        guard fd >= 0 else { return }
        for target: Int32 in 0...2 where target != fd { dup2(fd, target) }
        if fd > 2 { close(fd) }
    }

    public static func line(_ text: String) {
        write(prefix + text + "\n")
    }

    public static func fatal(_ text: String) {
        write(prefix + "FATAL: " + text + "\n")
    }

    private static func write(_ text: String) {
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress.map { $0 + done }, bytes.count - done) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return }
            done += count
        }
    }

    /// After a fatal error: halt (sync, sleep forever) or poweroff/reboot after a second.
    /// PID 1 must never exit (the kernel would panic), so this never returns.
    public static func fail(_ action: FailureAction) -> Never {
        sync()
        switch action {
        case .halt:
            line("halted; fix the problem and reset the machine (hostimg.failure=poweroff|reboot acts instead)")
        case .poweroff, .reboot:
            line("\(action.rawValue) in 1 s")
            System.sleep(milliseconds: 1000)
            do {
                try SystemIO.reboot(action == .poweroff ? .powerOff : .restart)
            } catch {
                line("reboot(2) failed: \(System.errorText(error.code)); halting")
            }
        }
        while true { pause() }
    }
}
