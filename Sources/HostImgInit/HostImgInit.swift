/// HostImgInit: everything the initrd's `/init` does, as a library so every parser is
/// unit-tested. Swift standard library + Glibc only (no Foundation). The executable is linked
/// statically (Swift runtime, glibc, libcrypto), so the initrd holds no shared library.
///
/// # Contract with the initrd builder
///
/// ```
/// /init                                the hostimg-init executable
/// /usr/lib/hostimg/modules             module files, one a line, in load order (dependencies
///                                      first): "/usr/lib/modules/VER/kernel/…/dm-verity.ko [PARAMS]"
///                                      absolute path inside the initrd, optional parameters
///                                      after the first space, "#" comment lines and blank
///                                      lines ignored; .ko.xz/.ko.zst/.ko.gz are passed to the
///                                      kernel with MODULE_INIT_COMPRESSED_FILE.
///                                      finit_module each: EEXIST is fine; ENODEV, ENXIO,
///                                      EOPNOTSUPP (hardware absent) skip the module with a
///                                      line, and a later FATAL names it; any other error is
///                                      fatal. A missing file means "no modules".
/// /usr/lib/hostimg/verity.crt          optional DER certificate: when present the verity-sig
///                                      partition must carry a PKCS#7 signature by it over
///                                      exactly the command line's root hash (fingerprint and
///                                      signature checked), or the boot stops; when absent a
///                                      loud warning says the signature is NOT checked.
/// /lib /lib64 /bin /sbin               symlinks into /usr (merged /usr)
/// /dev /proc /sys /run /sysroot /tmp   directories
/// ```
///
/// # Kernel command line (/proc/cmdline)
///
/// ```
/// roothash=<64 hex>                    required
/// hostimg.init=PATH                    default /sbin/init
/// hostimg.failure=halt|poweroff|reboot default halt (print, sync, sleep forever);
///                                      poweroff/reboot via reboot(2) after 1 s
/// hostimg.timeout=SECONDS              wait for the disks, default 30
/// hostimg.state=ignore                 leave the state partition alone
/// ```
/// Everything else is ignored. Values may be double-quoted; a repeated key's last value wins.
///
/// # Boot sequence (one console line each, prefixed "hostimg-init: ")
///
/// ```
/// 1 mount proc, sysfs, devtmpfs (/dev), tmpfs (/run); console on /dev/console
/// 2 load the modules
/// 3 poll /sys/class/block every 100 ms until a disk's primary GPT holds
///     root    unique GUID = roothash[0..<16]
///     verity  unique GUID = roothash[16..<32]
///     sig     type 41092b05-9fc8-4523-994f-2def0408b176, same label as root
///     state   type 4d21b016-b534-45c2-a9fb-5c16e091fd2d (var)
/// 4 read the sig partition, check it against verity.crt
/// 5 read the verity superblock, create dm "root" (read-only):
///     0 <data_blocks*8> verity 1 /dev/ROOT /dev/VERITY 4096 4096 <data_blocks> 1 sha256 <roothash> <salt>
/// 6 mount /dev/mapper/root erofs read-only at /sysroot
/// 7 state: if no ext4 magic, the root's /usr/sbin/mke2fs -q -t ext4 -L state, run chrooted
///   into /sysroot with /dev /proc /sys bound in (and unbound after); mount ext4 at /sysroot/var
/// 8 move /dev /proc /sys /run under /sysroot, mount --move /sysroot /, chroot, exec init
/// ```
/// Any failure prints "hostimg-init: FATAL: …" and runs the failure action; nothing after a
/// verity or signature failure ever reaches the switch.
public enum HostImgInit {
    /// The sysroot the real root is mounted on before the switch.
    public static let sysroot = "/sysroot"
    public static let moduleListPath = "/usr/lib/hostimg/modules"
    public static let certificatePath = "/usr/lib/hostimg/verity.crt"
    /// Inside the root: the state partition is formatted by the verified root's own mke2fs.
    public static let mke2fsPath = "/usr/sbin/mke2fs"
}

/// Everything that stops the boot. Messages name the value and what would be valid.
public enum InitError: Error, CustomStringConvertible, Sendable, Equatable {
    case commandLine(String)
    case moduleList(line: Int, String)
    case system(operation: String, path: String, errno: Int32)
    case partitionTable(device: String, String)
    case partitionsNotFound(rootHash: String, seconds: Int, disks: [String])
    case veritySuperblock(device: String, String)
    case signature(String)
    case state(String)

    public var description: String {
        switch self {
        case .commandLine(let message): return "kernel command line: \(message)"
        case .moduleList(let line, let message): return "\(HostImgInit.moduleListPath) line \(line): \(message)"
        case .system(let operation, let path, let code): return "\(operation) \(path): \(System.errorText(code))"
        case .partitionTable(let device, let message): return "partition table of \(device): \(message)"
        case .partitionsNotFound(let rootHash, let seconds, let disks):
            let seen = disks.isEmpty ? "no disks" : "disks " + disks.joined(separator: ", ")
            return "no disk holds partitions with PARTUUIDs \(rootHash.prefix(32)) (root) and "
                + "\(rootHash.suffix(32)) (verity) after \(seconds) s (\(seen))"
        case .veritySuperblock(let device, let message): return "verity superblock on \(device): \(message)"
        case .signature(let message): return "root hash signature: \(message)"
        case .state(let message): return "state partition: \(message)"
        }
    }
}
