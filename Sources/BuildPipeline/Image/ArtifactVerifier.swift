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

/// Checks a disk image or an update bundle the way a host would before trusting it.
public enum ArtifactVerifier {
    public static func kind(of path: String) throws -> VerificationReport.Kind {
        let file: SystemIO.File
        do {
            file = try SystemIO.File(path: path, flags: O_RDONLY)
        } catch {
            throw ImageError.input("\(error)")
        }
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
        let slots = SlotTable(table).slots
        if slots.isEmpty {
            report.add("partition table", .failed, "no root-x86-64 partition with its verity and verity-sig partitions")
        }
        noteSigner(certificate, into: &report)
        for slot in slots {
            verify(slot, path: path, certificate: certificate, into: &report)
        }
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
            report.add(name, .skipped, "empty (label \(Slot.emptyLabel))")
            return
        }
        let rootHash = slot.rootHash
        let hexHash = Hex.encode(rootHash)
        let superBlock: DMVerity.SuperBlock
        do {
            let file = try SystemIO.File(path: path, flags: O_RDONLY)
            superBlock = try DMVerity.SuperBlock(decoding: try file.read(count: DMVerity.SuperBlock.size, at: slot.verity.partition.offset))
        } catch {
            report.add("\(name) verity", .failed, "superblock of partition '\(slot.verity.partition.name)': \(error)")
            return
        }
        let dataBytes = superBlock.dataBlocks * UInt64(superBlock.dataBlockSize)
        guard dataBytes <= slot.root.partition.size else {
            report.add("\(name) verity", .failed, "the verity superblock covers \(dataBytes) bytes but the root partition has \(slot.root.partition.size)")
            return
        }
        do {
            try DMVerity.verify(data: DMVerity.Region(path: path, offset: slot.root.partition.offset, length: dataBytes),
                                hash: DMVerity.Region(path: path, offset: slot.verity.partition.offset, length: slot.verity.partition.size),
                                rootHash: rootHash)
            report.add("\(name) verity", .ok, "\(superBlock.dataBlocks) data blocks match root hash \(hexHash) (from the PARTUUIDs)")
        } catch {
            report.add("\(name) verity", .failed, "\(error)")
        }
        do {
            let reader = try EROFS.Reader(path: path, offset: slot.root.partition.offset)
            report.add("\(name) root", .ok, "EROFS, \(reader.superBlock.inodeCount) inodes, \(reader.superBlock.blocks) blocks, label \(slot.root.partition.name)")
        } catch {
            report.add("\(name) root", .failed, "\(error)")
        }
        checkSignature(part: "\(name) signature", bytes: {
            try SystemIO.File(path: path, flags: O_RDONLY).read(count: VeritySignature.partitionSize, at: slot.signature.partition.offset)
        }, rootHash: hexHash, certificate: certificate, into: &report)
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

    // MARK: - Bundle

    static func verifyBundle(path: String, certificate: Certificate?) -> VerificationReport {
        var report = VerificationReport(path: path, kind: .bundle)
        let reader: UpdateBundle.Reader
        do {
            reader = try UpdateBundle.Reader(path: path)
            let manifest = reader.manifest
            report.add("bundle", .ok, "\(manifest.name) \(manifest.version), \(manifest.payloads.count) payloads, root hash \(manifest.rootHash)")
        } catch {
            report.add("bundle", .failed, "\(error)")
            return report
        }
        noteSigner(certificate, into: &report)
        if !reader.isSigned {
            report.add("bundle signature", certificate == nil ? .skipped : .failed, "unsigned (`hostimg sign` adds one)")
        } else if let certificate {
            do {
                try reader.verifySignature(trusting: certificate)
                report.add("bundle signature", .ok, "manifest signature verifies with \(certificate.subject)")
            } catch {
                report.add("bundle signature", .failed, "\(error)")
                // A host stops here: nothing from an unauthenticated bundle is read further.
                return report
            }
        } else {
            report.add("bundle signature", .skipped, "signed; pass --cert to check it")
        }
        for payload in reader.manifest.payloads {
            var collected: [UInt8] = []
            let keep = payload.role == .veritySignature
            do {
                try reader.streamPayload(role: payload.role) { chunk in
                    if keep { collected += chunk }
                }
                report.add("payload \(payload.role)", .ok, "\(payload.size) bytes, sha256 \(payload.sha256.prefix(16))… matches")
            } catch {
                report.add("payload \(payload.role)", .failed, "\(error)")
                continue
            }
            if keep {
                checkSignature(part: "payload verity-sig signature", bytes: { collected },
                               rootHash: reader.manifest.rootHash, certificate: certificate, into: &report)
            }
        }
        return report
    }
}
