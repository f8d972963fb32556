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

    /// q35 with an Intel IOMMU, OVMF from flash, `disk` as a writable virtio disk (the ESP's
    /// renames must persist across boots), no network. No `-kernel`: firmware boots the disk.
    static func arguments(disk: String, variables: String, secureBoot: Bool = false) -> [String] {
        let machine = secureBoot ? "q35,smm=on" : "q35"
        var arguments = [
            "-accel", "tcg", "-machine", machine, "-cpu", "max", "-smp", "2", "-m", "1536", "-no-reboot",
            // DMA remapping without interrupt remapping: under TCG on a loaded machine the
            // kernel's IO-APIC timer check through remapped interrupts can time out and panic.
            "-device", "intel-iommu,intremap=off",
        ]
        if secureBoot { arguments += ["-global", "driver=cfi.pflash01,property=secure,value=on"] }
        arguments += [
            "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=\(secureBoot ? secureCode : code)",
            "-drive", "if=pflash,format=raw,unit=1,file=\(variables)",
            "-drive", "file=\(disk),if=none,id=disk0,format=raw",
            "-device", "virtio-blk-pci,drive=disk0", "-nic", "none",
        ]
        return arguments
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
