import Foundation
import TestSupport

/// OVMF for the firmware boot tests (Debian's `ovmf`): the code image, plain or with Secure
/// Boot (which needs SMM and a secure flash), and a private copy of the variable store per
/// guest, so one test's boot entries and keys never reach another.
enum Firmware {
    static let code = "/usr/share/OVMF/OVMF_CODE_4M.fd"
    static let secureCode = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
    static let variables = "/usr/share/OVMF/OVMF_VARS_4M.fd"

    static var isInstalled: Bool {
        [code, secureCode, variables].allSatisfy { FileManager.default.fileExists(atPath: $0) }
    }

    /// q35 with qemu-dev's devices (`q35Devices`), OVMF from flash, `disk` writable (the ESP's
    /// renames must persist across boots). No `-kernel`: firmware boots the disk.
    static func arguments(disk: String, variables: String, secureBoot: Bool = false, resets: Bool = false,
                          reachLoopback: Bool = false, memory: String = "1536") -> [String] {
        let machine = secureBoot ? "q35,smm=on" : "q35"
        var arguments = ["-accel", "tcg", "-machine", machine, "-cpu", "max", "-smp", "2", "-m", memory]
        // A reset (a watchdog's) restarts the firmware; otherwise QEMU exits on one.
        if !resets { arguments.append("-no-reboot") }
        if secureBoot { arguments += ["-global", "driver=cfi.pflash01,property=secure,value=on"] }
        arguments += [
            "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=\(secureBoot ? secureCode : code)",
            "-drive", "if=pflash,format=raw,unit=1,file=\(variables)",
        ]
        // DMA remapping without interrupt remapping, as before the tuning tests needed it.
        return arguments + q35Devices(disk: disk, reachLoopback: reachLoopback)
    }

    /// The PCI devices of hardware/qemu-q35.yaml, which qemu-dev's tuning names: an Intel
    /// IOMMU (first: QEMU wants it before the devices it translates for), a virtio-net
    /// management NIC at 00:02.0, an e1000e at 00:03.0 for vfio-pci and the disk at 00:04.0.
    /// Every boot of qemu-dev needs them: a vfio device missing is a tuning that did not take
    /// effect, and the health gate rightly refuses to bless it. Both NICs are QEMU user
    /// networks with `restrict=on`: nothing leaves the test machine. `interruptRemapping`:
    /// vfio_iommu_type1 refuses a group without it (DPDK needs it; binding does not).
    /// `reachLoopback`: the management network unrestricted, so the guest reaches the test
    /// machine's loopback as 10.0.2.2 (a server the test runs there; the guest sends nothing
    /// else). A guestfwd to one port would not do: QEMU connects its chardev once and every
    /// guest connection shares that one stream.
    static func q35Devices(disk: String, format: String = "raw", snapshot: Bool = false,
                           interruptRemapping: Bool = false, reachLoopback: Bool = false) -> [String] {
        [
            "-device", "intel-iommu,intremap=\(interruptRemapping ? "on" : "off")",
            "-netdev", "user,id=mgmt,restrict=\(reachLoopback ? "off" : "on")",
            "-device", "virtio-net-pci,netdev=mgmt,addr=02.0",
            "-netdev", "user,id=dataplane,restrict=on", "-device", "e1000e,netdev=dataplane,addr=03.0",
            "-drive", "file=\(disk),if=none,id=disk0,format=\(format)" + (snapshot ? ",snapshot=on" : ""),
            "-device", "virtio-blk-pci,drive=disk0,addr=04.0",
        ]
    }

    /// The machine of the tuning tests (TUNING.md, "Checks on a booted image"): OVMF and the
    /// q35 devices with interrupt remapping.
    static func tuningArguments(disk: String, variables: String, memory: Int = 1536) -> [String] {
        [
            "-accel", "tcg", "-machine", "q35", "-cpu", "max", "-smp", "2", "-m", "\(memory)", "-no-reboot",
            "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=\(code)",
            "-drive", "if=pflash,format=raw,unit=1,file=\(variables)",
        ] + q35Devices(disk: disk, interruptRemapping: true)
    }

    /// A copy of the empty variable store at `path`.
    static func freshVariables(at path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: variables, toPath: path)
    }

    /// A variable store with `certificate` (PEM) enrolled as PK, KEK and db and Secure Boot
    /// on, made by virt-fw-vars (PyPI virt-firmware); nil when the tool is missing.
    static func secureVariables(at path: String, certificate: String) throws -> Bool {
        guard let tool = Tools.find("virt-fw-vars") else { return false }
        let owner = "a0baa8a3-041d-48a8-bc87-c36d121b5e3d"
        let result = try Tools.run(tool, [
            "--input", variables, "--output", path,
            "--set-pk", owner, certificate, "--add-kek", owner, certificate, "--add-db", owner, certificate,
            "--secure-boot", "--no-microsoft",
        ])
        guard result.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "virt-fw-vars: \(result.stderr)"]) }
        return true
    }

    /// A sparse writable copy of a disk image.
    static func copyDisk(_ image: String, to path: String) throws {
        let result = try Tools.run("/bin/cp", ["--sparse=always", image, path])
        guard result.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cp: \(result.stderr)"]) }
    }
}

/// The ESP of a disk image read with mtools (the real tool, as FORMATS.md asks).
enum ESPFiles {
    static func list(_ disk: String, offset: UInt64, directory: String) throws -> [String] {
        let result = try Tools.run("/usr/bin/env", ["MTOOLS_SKIP_CHECK=1", "mdir", "-b", "-i", "\(disk)@@\(offset)", "::/\(directory)"])
        guard result.status == 0 else { return [] }
        return result.stdoutText.split(whereSeparator: \.isNewline).map { String($0.split(separator: "/").last ?? "") }
            .filter { !$0.isEmpty }.sorted()
    }

    static func replace(_ disk: String, offset: UInt64, path: String, with file: String) throws {
        let result = try Tools.run("/usr/bin/env", ["MTOOLS_SKIP_CHECK=1", "mcopy", "-o", "-i", "\(disk)@@\(offset)", file, "::/\(path)"])
        guard result.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "mcopy: \(result.stderr)"]) }
    }
}
