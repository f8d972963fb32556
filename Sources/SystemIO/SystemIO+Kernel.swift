import CSyscalls
import Glibc

/// The kernel interfaces beyond files: modules, device-mapper, kexec and reboot. The initrd's
/// init and the agent call these; tests replace the funnel and never reach the real calls.
extension SystemIO {
    /// MODULE_INIT_COMPRESSED_FILE (<linux/module.h>, Linux 5.17+): the kernel decompresses.
    public static let moduleInitCompressedFile = Int32(HOSTIMG_MODULE_INIT_COMPRESSED_FILE)

    /// finit_module(2) of the module open as `file`. Returns false when a module of that
    /// name is already loaded (EEXIST), which is not an error for a loader.
    public static func loadModule(_ file: File, parameters: String, compressed: Bool) throws(SystemIOError) -> Bool {
        do {
            try file.calls.finitModule(file.descriptor, parameters: parameters, flags: compressed ? moduleInitCompressedFile : 0)
            return true
        } catch let error where error.code == EEXIST {
            return false
        } catch {
            throw SystemIOError(file.path, "load module", error)
        }
    }

    /// KEXEC_FILE_* flags (<linux/kexec.h>).
    public struct KexecFlags: OptionSet, Hashable, Sendable {
        public var rawValue: UInt
        public init(rawValue: UInt) { self.rawValue = rawValue }

        /// KEXEC_FILE_UNLOAD: drop the loaded kernel instead of loading one.
        public static let unload = KexecFlags(rawValue: UInt(HOSTIMG_KEXEC_FILE_UNLOAD))
    }

    /// kexec_file_load(2): stage `kernel` and `initrd` with `commandLine` for a later
    /// `reboot(.kexec)`. The kernel verifies the image's signature itself (CONFIG_KEXEC_SIG),
    /// which is why this runs before anything that a failure would make hard to undo.
    public static func kexecFileLoad(
        kernel: File, initrd: File?, commandLine: String, flags: KexecFlags = []
    ) throws(SystemIOError) {
        do {
            try kernel.calls.kexecFileLoad(
                kernel: kernel.descriptor, initrd: initrd?.descriptor, commandLine: commandLine, flags: flags.rawValue)
        } catch {
            throw SystemIOError(kernel.path, "load for kexec (kexec_file_load)", error)
        }
    }

    /// reboot(2). It does not sync: callers sync what they wrote first. Returns only when
    /// the kernel refused (no CAP_SYS_BOOT, or `.kexec` with nothing loaded).
    public static func reboot(_ command: RebootCommand) throws(SystemIOError) {
        do {
            try calls.reboot(command)
        } catch {
            throw SystemIOError("reboot(2)", "\(command.rawValue)", error)
        }
    }

    /// sync(2): every dirty buffer of every file system to its device, before a kexec or a
    /// reboot that does not unmount anything.
    public static func syncAll() {
        Glibc.sync()
    }

    /// WDIOC_SETTIMEOUT on an open watchdog device; returns the timeout the driver set.
    public static func watchdogSetTimeout(_ file: File, seconds: Int32) throws(SystemIOError) -> Int32 {
        try file.call("set the watchdog timeout (WDIOC_SETTIMEOUT) of") { () throws(Errno) in
            try file.calls.watchdogSetTimeout(file.descriptor, seconds: seconds)
        }
    }

    /// WDIOC_KEEPALIVE on an open watchdog device.
    public static func watchdogKeepalive(_ file: File) throws(SystemIOError) {
        try file.call("pet the watchdog (WDIOC_KEEPALIVE) of") { () throws(Errno) in try file.calls.watchdogKeepalive(file.descriptor) }
    }

    /// Device-mapper through an open /dev/mapper/control: what `dmsetup create --table`
    /// does in three ioctls. Errors name the ioctl and the device name.
    public enum DeviceMapper {
        /// DM_DEV_CREATE: the device `name` without a table; returns its numbers.
        public static func create(control: File, name: String, uuid: String?) throws(SystemIOError) -> DeviceNumber {
            try control.call("DM_DEV_CREATE", name) { () throws(Errno) in
                try control.calls.deviceMapperCreate(control: control.descriptor, name: name, uuid: uuid)
            }
        }

        /// DM_TABLE_LOAD of one target into the device's inactive table.
        public static func load(control: File, name: String, target: DeviceMapperTarget) throws(SystemIOError) {
            let operation = "DM_TABLE_LOAD \"\(target.start) \(target.length) \(target.type) \(target.parameters)\" into"
            try control.call(operation, name) { () throws(Errno) in
                try control.calls.deviceMapperLoad(control: control.descriptor, name: name, target: target)
            }
        }

        /// DM_DEV_SUSPEND without DM_SUSPEND_FLAG: resume, making the loaded table live.
        public static func resume(control: File, name: String) throws(SystemIOError) -> DeviceNumber {
            try control.call("DM_DEV_SUSPEND (resume)", name) { () throws(Errno) in
                try control.calls.deviceMapperResume(control: control.descriptor, name: name)
            }
        }

        /// DM_DEV_REMOVE: undo a create whose table could not be loaded or resumed.
        public static func remove(control: File, name: String) throws(SystemIOError) {
            try control.call("DM_DEV_REMOVE", name) { () throws(Errno) in
                try control.calls.deviceMapperRemove(control: control.descriptor, name: name)
            }
        }
    }
}

extension SystemIO.File {
    /// Like `call(_:_:)`, but the error names `subject` (a device-mapper name, say) rather
    /// than this file's path.
    func call<T>(_ operation: String, _ subject: String, _ body: () throws(Errno) -> T) throws(SystemIOError) -> T {
        do {
            return try call(operation, body)
        } catch {
            throw SystemIOError(subject, error.operation, code: error.code)
        }
    }
}
