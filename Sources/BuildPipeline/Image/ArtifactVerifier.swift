#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Bundle
import ByteCodec
import Crypto
import DMVerity
import EROFS
import Foundation
import GPT
import Slots
import Manifests
import SystemIO

/// What `hostimg verify` found: one line per part checked, so a failure names its part.
public struct VerificationReport: Sendable, Codable {
    public enum Kind: String, Sendable, Codable { case image, bundle }
    public enum Status: String, Sendable, Codable { case ok, failed, skipped, warning }

    public struct Check: Sendable, Codable {
        public var part: String
        public var status: Status
        public var detail: String
    }

    public var path: String
    public var kind: Kind
    public var checks: [Check] = []

    public var passed: Bool { !checks.contains { $0.status == .failed } }

    mutating func add(_ part: String, _ status: Status, _ detail: String) {
        checks.append(Check(part: part, status: status, detail: detail))
    }
}

/// Checks a disk image or an update bundle the way a host would before trusting it. A line
/// says `ok` only for what was checked; a slot that cannot be checked is never "verified":
/// a table whose layout breaks a slot rule, or with no written slot, fails.
public enum ArtifactVerifier {
    /// Opens `path` as an artefact: a regular file or a block device (a FIFO, socket or
    /// directory is refused before it is read, so nothing blocks).
    static func open(_ path: String) throws -> SystemIO.File {
        do {
            return try SystemIO.File.openForReading(path, kind: .regularFileOrBlockDevice)
        } catch {
            throw ImageError.input("\(error)")
        }
    }

    public static func kind(of path: String) throws -> VerificationReport.Kind {
        let file = try open(path)
        let size = try file.size()
        let head = try file.read(count: Int(min(size, 1024)), at: 0)
        if head.count >= 262, Array(head[257..<262]) == Array("ustar".utf8) { return .bundle }
        if head.count >= 520, Array(head[512..<520]) == Array("EFI PART".utf8) { return .image }
        throw ImageError.input("\(path) is neither a disk image (no GPT header at byte 512) nor an update bundle (no tar header)")
    }

    public static func verify(path: String, certificate: Certificate?) throws -> VerificationReport {
        switch try kind(of: path) {
        case .image: return verifyImage(path: path, certificate: certificate)
        case .bundle: return verifyBundle(path: path, certificate: certificate)
        }
    }

    // MARK: - Disk image

    static func verifyImage(path: String, certificate: Certificate?) -> VerificationReport {
        var report = VerificationReport(path: path, kind: .image)
        let table: GPT.Table
        do {
            table = try GPT.read(path: path)
            report.add("partition table", .ok, "\(table.partitions.count) partitions, disk \(table.diskGUID)")
        } catch {
            report.add("partition table", .failed, "\(error)")
            return report
        }
        let slotTable = SlotTable(table)
        for problem in slotTable.validateLayout(sectorSize: table.sectorSize) {
            report.add("slot layout", .failed, problem.message)
        }
        let slots = slotTable.slots
        if slots.isEmpty {
            report.add("partition table", .failed, "no root-x86-64 partition with its verity and verity-sig partitions")
        } else if !slots.contains(where: { $0.state == .written }) {
            report.add("slots", .failed, "every slot is labelled \(Slot.emptyLabel): no slot holds a root, so there is nothing to verify")
        }
        noteSigner(certificate, into: &report)
        for slot in slots {
            verify(slot, path: path, certificate: certificate, into: &report)
        }
        verifyESP(table, slots: slots, path: path, certificate: certificate, into: &report)
        return report
    }

    static func noteSigner(_ certificate: Certificate?, into report: inout VerificationReport) {
        if let certificate, SigningIdentity.isDevelopment(certificate) {
            report.add("certificate", .warning, "\(certificate.subject) is a hostimg DEVELOPMENT key")
        }
    }

    static func verify(_ slot: Slot, path: String, certificate: Certificate?, into report: inout VerificationReport) {
        let name = "slot \(slot.letter)"
        guard slot.state == .written else {
            if let filled = filledPart(of: slot, path: path) {
                report.add(name, .failed, "labelled \(Slot.emptyLabel), but \(filled); a slot that holds a root is "
                    + "labelled NAME_VERSION and verified, an empty one is wiped")
            } else {
                report.add(name, .skipped, "empty (label \(Slot.emptyLabel))")
            }
            return
        }
        let hexHash = Hex.encode(slot.rootHash)
        let root = checkRoot(slot, path: path)
        do {
            let layout = try checkVerity(slot, path: path, fileSystemBytes: root.bytes)
            report.add("\(name) verity", .ok, "\(layout.superBlock.dataBlocks) data blocks match root hash \(hexHash) (from the PARTUUIDs)")
        } catch {
            report.add("\(name) verity", .failed, "\(error)")
        }
        report.add("\(name) root", root.status, root.detail)
        let signature = slot.signature.partition
        guard signature.size >= UInt64(VeritySignature.partitionSize) else {
            report.add("\(name) signature", .failed, "verity-sig partition '\(signature.name)' has \(signature.size) bytes; "
                + "it must hold the \(VeritySignature.partitionSize) bytes a signature takes")
            return
        }
        checkSignature(part: "\(name) signature", bytes: {
            try open(path).read(count: VeritySignature.partitionSize, at: signature.offset)
        }, rootHash: hexHash, certificate: certificate, into: &report)
    }

    /// The EROFS superblock of a slot's root partition: the report line, and the file
    /// system's size when it could be read.
    static func checkRoot(_ slot: Slot, path: String) -> (status: VerificationReport.Status, detail: String, bytes: UInt64?) {
        do {
            let reader = try EROFS.Reader(path: path, offset: slot.root.partition.offset)
            let bytes = UInt64(reader.superBlock.blocks) * UInt64(reader.superBlock.blockSize)
            guard bytes <= slot.root.partition.size else {
                return (.failed, "the EROFS superblock says \(bytes) bytes, more than the \(slot.root.partition.size)-byte root partition", nil)
            }
            return (.ok, "EROFS, \(reader.superBlock.inodeCount) inodes, \(reader.superBlock.blocks) blocks, label \(slot.root.partition.name)", bytes)
        } catch {
            return (.failed, "\(error)", nil)
        }
    }

    /// The slot's verity superblock against its partitions and its file system, then every
    /// block of the tree and the data against the root hash the PARTUUIDs carry.
    static func checkVerity(_ slot: Slot, path: String, fileSystemBytes: UInt64?) throws -> DMVerity.CheckedLayout {
        let data = DMVerity.Region(path: path, offset: slot.root.partition.offset, length: slot.root.partition.size)
        let hash = DMVerity.Region(path: path, offset: slot.verity.partition.offset, length: slot.verity.partition.size)
        let layout = try DMVerity.checkedLayout(dataPartition: data, hashPartition: hash)
        // The tree covers exactly the EROFS image (the build and the agent hash that much):
        // another data_blocks was changed in the superblock, which no hash covers.
        if let fileSystemBytes, fileSystemBytes != layout.data.length {
            let field = DMVerity.SuperBlock.Field.dataBlocks
            throw DMVerityError.superBlockField(
                path: path, offset: hash.offset, field: field.name, fieldOffset: field.offset,
                problem: "is \(layout.superBlock.dataBlocks): \(layout.data.length) bytes of data, but the EROFS file "
                    + "system in root partition '\(slot.root.partition.name)' is \(fileSystemBytes) bytes; the superblock "
                    + "does not belong to this root")
        }
        return try DMVerity.verify(data: data, hash: hash, rootHash: slot.rootHash)
    }

    /// What an `_empty` slot holds that an empty slot must not: a verity superblock (a tree a
    /// host could boot by its PARTUUIDs) or a signature. nil when it holds neither.
    static func filledPart(of slot: Slot, path: String) -> String? {
        guard let file = try? open(path) else { return nil }
        let verity = slot.verity.partition
        if verity.size >= 8, let magic = try? file.read(count: 8, at: verity.offset), magic == DMVerity.SuperBlock.magic {
            return "its verity partition \(slot.verity.number) holds a dm-verity superblock"
        }
        let signature = slot.signature.partition
        let count = Int(min(signature.size, UInt64(VeritySignature.partitionSize)))
        if let bytes = try? file.read(count: count, at: signature.offset), bytes.contains(where: { $0 != 0 }) {
            return "its verity-sig partition \(slot.signature.number) is not zero"
        }
        return nil
    }

    static func checkSignature(part: String, bytes: () throws -> [UInt8], rootHash: String, certificate: Certificate?,
                               into report: inout VerificationReport) {
        let signature: VeritySignature?
        do {
            signature = try VeritySignature.decode(try bytes())
        } catch {
            report.add(part, .failed, "\(error)")
            return
        }
        guard let signature else {
            report.add(part, certificate == nil ? .skipped : .failed, "unsigned (no verity signature; `hostimg sign` adds one)")
            return
        }
        guard signature.rootHash == rootHash else {
            report.add(part, .failed, "signs root hash \(signature.rootHash), but the slot's root hash is \(rootHash)")
            return
        }
        guard let certificate else {
            report.add(part, .skipped, "signed by certificate \(signature.certificateFingerprint.prefix(16))…; pass --cert to check it")
            return
        }
        do {
            try signature.verify(trusting: certificate)
            report.add(part, .ok, "PKCS#7 signature over the root hash verifies with \(certificate.subject)")
        } catch {
            report.add(part, .failed, "\(error)")
        }
    }
}
