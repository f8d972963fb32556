#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Bundle
import ByteCodec
import DMVerity
import EROFS
import Foundation
import GPT
import Slots
import Manifests
import SystemIO

/// `hostimg inspect`: what an image or bundle holds, without checking it (that is `verify`).
public struct Inspection: Sendable, Codable {
    public struct Partition: Sendable, Codable {
        public var number: Int
        public var label: String
        public var type: String
        public var uuid: String
        public var offset: UInt64
        public var size: UInt64
        public var attributes: [String]
    }

    public struct SlotInfo: Sendable, Codable {
        public var slot: String
        public var label: String
        public var empty: Bool
        public var rootHash: String?
        public var dataBlocks: UInt64?
        public var inodes: UInt64?
        public var fileSystemBytes: UInt64?
        public var signedBy: String?
        public var files: [File]?
    }

    public struct File: Sendable, Codable {
        public var path: String
        public var type: String
        public var mode: String
        public var uid: UInt32
        public var gid: UInt32
        public var size: UInt64
        public var target: String?
    }

    public var path: String
    public var kind: VerificationReport.Kind
    public var diskBytes: UInt64?
    public var diskGUID: String?
    public var partitions: [Partition] = []
    public var slots: [SlotInfo] = []
    /// What firmware boots: the ESP's file system, systemd-boot and the UKIs (images only).
    public var esp: ESP?
    public var bundle: UpdateBundle.Manifest?
    public var bundleSigned: Bool?

    /// What is in `path`. Throws `InspectionError`: `.unreadable` when the path cannot be read
    /// or is neither an image nor a bundle (no verdict), `.invalid` when it is one whose
    /// content is corrupt (a damaged table, file system or archive).
    public static func inspect(path: String, listFiles: Bool) throws(InspectionError) -> Inspection {
        let kind: VerificationReport.Kind
        do {
            kind = try ArtifactVerifier.kind(of: path)
        } catch {
            throw .unreadable("\(error)")
        }
        do {
            return try inspect(path: path, kind: kind, listFiles: listFiles)
        } catch {
            throw InspectionError.isInputOutput(error) ? .unreadable("\(error)") : .invalid("\(error)")
        }
    }

    static func inspect(path: String, kind: VerificationReport.Kind, listFiles: Bool) throws -> Inspection {
        switch kind {
        case .bundle:
            let reader = try UpdateBundle.Reader(path: path)
            var result = Inspection(path: path, kind: .bundle)
            result.bundle = reader.manifest
            result.bundleSigned = reader.isSigned
            return result
        case .image:
            let table = try GPT.read(path: path)
            var result = Inspection(path: path, kind: .image, diskBytes: table.diskSize, diskGUID: table.diskGUID.description)
            result.partitions = table.partitions.enumerated().map { index, part in
                var attributes: [String] = []
                if part.attributes.contains(.readOnly) { attributes.append("read-only") }
                if part.attributes.contains(.noAuto) { attributes.append("no-auto") }
                if part.attributes.contains(.growFileSystem) { attributes.append("grow-fs") }
                return Partition(number: index + 1, label: part.name, type: GPT.PartitionType.name(of: part.type) ?? part.type.description,
                                 uuid: part.uuid.description, offset: part.offset, size: part.size, attributes: attributes)
            }
            let slots = SlotTable(table).slots
            for slot in slots {
                result.slots.append(try describe(slot, path: path, listFiles: listFiles))
            }
            result.esp = describeESP(table, slots: slots, path: path)
            return result
        }
    }

    static func describe(_ slot: Slot, path: String, listFiles: Bool) throws -> SlotInfo {
        var info = SlotInfo(slot: slot.letter, label: slot.root.partition.name, empty: slot.state == .empty)
        guard !info.empty else { return info }
        info.rootHash = Hex.encode(slot.rootHash)
        let file = try ArtifactVerifier.open(path)
        let verity = slot.verity.partition
        if verity.size >= UInt64(DMVerity.SuperBlock.size),
            let superBlock = try? DMVerity.SuperBlock(decoding: try file.read(count: DMVerity.SuperBlock.size, at: verity.offset))
        {
            info.dataBlocks = superBlock.dataBlocks
        }
        let signature = slot.signature.partition
        if signature.size >= UInt64(VeritySignature.partitionSize),
            let decoded = try? VeritySignature.decode(try file.read(count: VeritySignature.partitionSize, at: signature.offset))
        {
            info.signedBy = decoded.certificateFingerprint
        }
        let reader = try EROFS.Reader(path: path, offset: slot.root.partition.offset)
        info.inodes = reader.superBlock.inodeCount
        info.fileSystemBytes = UInt64(reader.superBlock.blocks) * UInt64(reader.superBlock.blockSize)
        if listFiles {
            info.files = try reader.listing().map(File.init(entry:))
        }
        return info
    }
}

/// Why `inspect` gave no inspection: the CLI exits 2 for `.unreadable` (it could not run)
/// and 1 for `.invalid` (it ran, and the input is corrupt).
public enum InspectionError: Error, Sendable, CustomStringConvertible {
    /// The path cannot be read (missing, no permission, a FIFO, an I/O error) or is neither
    /// a disk image nor a bundle.
    case unreadable(String)
    /// An image or bundle whose content is corrupt or invalid.
    case invalid(String)

    public var description: String {
        switch self {
        case .unreadable(let message), .invalid(let message): return message
        }
    }

    /// Errors that come from reading the file rather than from what it holds.
    static func isInputOutput(_ error: any Error) -> Bool {
        switch error {
        case is SystemIOError: return true
        case GPTError.io: return true
        case EROFSError.io, EROFSError.unreadable: return true
        case DMVerityError.io: return true
        case BundleError.io, BundleError.unreadable: return true
        default: return false
        }
    }
}

extension Inspection.File {
    init(entry: EROFS.Entry) {
        path = entry.path
        type = String(entry.kind.letter)
        mode = String(entry.mode, radix: 8).leftPadded(to: 4)
        uid = entry.uid
        gid = entry.gid
        size = entry.size
        target = entry.symlinkTarget
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
