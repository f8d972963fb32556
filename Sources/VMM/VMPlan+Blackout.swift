/// The predicted blackout (`stop` to `cont`) of each VM and of the switch.
///
/// The model, with the constants below:
///
/// ```
/// preserve   perVMSeconds + kexec
/// save       perVMSeconds + kexec + S / writeBytesPerSecond + S / readBytesPerSecond
/// cold       none: the VM is shut down and boots afresh
/// switch     the largest of the VMs' (they are paused, saved and resumed in parallel)
/// ```
///
/// - `perVMSeconds`: `stop`, the device-state save (15–70 ms measured under TCG for a
///   256 MiB guest, AGENT.md), `quit`, starting QEMU again, `migrate-incoming`, `cont`;
/// - `kexec`: from `reboot(LINUX_REBOOT_CMD_KEXEC)` to the agent running on the new kernel:
///   the host's last measured value when there is one, else `defaultKexecSeconds` (8.7 s
///   measured from "Starting new kernel" to userspace under TCG, rounded up);
/// - `S`: the bytes of every `.save` VM's stream together, since the saves run at once and
///   share the state partition's bandwidth: each saved VM waits for all of them to be
///   written before the kexec and read after it.
public struct BlackoutModel: Hashable, Sendable {
    public var perVMSeconds: Double = 2
    public var defaultKexecSeconds: Double = 10
    public var writeBytesPerSecond: Double = 256 * 1_048_576
    public var readBytesPerSecond: Double = 512 * 1_048_576

    public init() {}

    /// Seconds to write and read back `bytes` of stream.
    public func streamSeconds(_ bytes: UInt64) -> Double {
        Double(bytes) / writeBytesPerSecond + Double(bytes) / readBytesPerSecond
    }

    /// Sets each entry's `predictedBlackout`; returns the switch's (nil when no VM is kept).
    func apply(to entries: inout [VMPlan.Entry], kexecSeconds: Double) -> Double? {
        let saved = entries.reduce(UInt64(0)) { $1.path == .save ? $0 &+ $1.streamBytes : $0 }
        for index in entries.indices {
            switch entries[index].path {
            case .preserve: entries[index].predictedBlackout = perVMSeconds + kexecSeconds
            case .save: entries[index].predictedBlackout = perVMSeconds + kexecSeconds + streamSeconds(saved)
            case .cold: entries[index].predictedBlackout = nil
            }
        }
        return entries.compactMap(\.predictedBlackout).max()
    }
}
