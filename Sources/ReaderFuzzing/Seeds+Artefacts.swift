import Bundle
import ByteCodec
import ContentStore
import Crypto
import DMVerity
import EROFS
import FileTree
import Foundation
import GPT
import Slots

extension Seeds {
    /// One small root and everything made from it: its tree, its signature, a disk and bundles.
    struct Artefacts {
        let scratch: String
        let identity: DevelopmentIdentity
        let root: [UInt8]
        let tree: [UInt8]
        let rootHash: [UInt8]
        let signature: [UInt8]

        init(scratch: String, identity: DevelopmentIdentity) throws {
            self.scratch = scratch
            self.identity = identity
            let store = try ContentStore(root: scratch + "/store")
            let rootPath = scratch + "/root.erofs"
            try EROFS.write(try Self.tree(store), store: store, to: rootPath,
                            options: EROFS.WriteOptions(buildTime: 1_700_000_000, uuid: Array(0..<16), volumeName: "fuzz"))
            root = [UInt8](try Data(contentsOf: URL(fileURLWithPath: rootPath)))
            let parameters = DMVerity.Parameters(salt: Array(repeating: 7, count: 32), uuid: Array(16..<32))
            let data = DMVerity.Region(path: rootPath, offset: 0, length: UInt64(root.count))
            let hashPath = scratch + "/root.verity"
            let hashSize = DMVerity.hashDeviceSize(dataSize: data.length, parameters: parameters)
            let result = try DMVerity.format(
                data: data, hash: DMVerity.Region(path: hashPath, offset: 0, length: hashSize), parameters: parameters)
            tree = [UInt8](try Data(contentsOf: URL(fileURLWithPath: hashPath)))
            rootHash = result.rootHash
            signature = try Seeds.signature(rootHash, identity)
        }

        /// Every node type a root carries, in a few blocks.
        static func tree(_ store: ContentStore) throws -> FileTree {
            var tree = FileTree()
            let capability: [UInt8] = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
            for directory in ["/etc", "/usr", "/usr/bin", "/dev", "/var"] { try tree.insert(.directory(), at: directory) }
            try tree.insert(FileTree.Node(.regular(try store.put(Array("fuzz\n".utf8))), mode: 0o644), at: "/etc/hostname")
            let tool = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try tree.insert(FileTree.Node(.regular(try store.put(tool)), mode: 0o755, xattrs: ["security.capability": capability]),
                            at: "/usr/bin/ping")
            try tree.insert(FileTree.Node(.hardlink("/usr/bin/ping"), mode: 0o755), at: "/usr/bin/ping6")
            try tree.insert(FileTree.Node(.symlink("usr/bin"), mode: 0o777), at: "/bin")
            try tree.insert(FileTree.Node(.characterDevice(major: 1, minor: 3), mode: 0o666), at: "/dev/null")
            try tree.insert(FileTree.Node(.fifo, mode: 0o600), at: "/var/fifo")
            try tree.insert(FileTree.Node(.socket, mode: 0o600), at: "/var/socket")
            try tree.insert(FileTree.Node(.regular(try store.put([])), mode: 0o600, uid: 70_000, gid: 70_001), at: "/var/owned")
            return tree
        }

        /// A disk of 512-byte sectors: ESP (`Seeds.esp`: a UKI that boots slot A), slot A (this
        /// root, signed), slot B empty, state; or, without slots, ESP and state alone.
        func disk(slots: Bool) throws -> [UInt8] {
            let esp = try Seeds.esp(rootHash: rootHash, identity: identity, scratch: scratch)
            let sectors = [esp.count / 512, root.count / 512, tree.count / 512, VeritySignature.partitionSize / 512]
            let bound = Slot.boundUUIDs(rootHash: rootHash)
            let label = "fuzz_1"
            var parts: [(String, GPT.GUID, GPT.GUID, Int, [UInt8])] = [("esp", GPT.PartitionType.esp, Self.guid(1), sectors[0], esp)]
            if slots {
                parts += [
                    (label, Slot.rootType, bound.root, sectors[1], root), (label, Slot.verityType, bound.verity, sectors[2], tree),
                    (label, Slot.signatureType, Self.guid(4), sectors[3], signature),
                    (Slot.emptyLabel, Slot.rootType, Self.guid(5), sectors[1], []),
                    (Slot.emptyLabel, Slot.verityType, Self.guid(6), sectors[2], []),
                    (Slot.emptyLabel, Slot.signatureType, Self.guid(7), sectors[3], []),
                ]
            }
            parts.append(("state", GPT.PartitionType.variableData, Self.guid(8), 8, []))
            var next: UInt64 = 34
            var partitions: [GPT.Partition] = []
            for (name, type, uuid, count, _) in parts {
                partitions.append(GPT.Partition(type: type, uuid: uuid, name: name, firstLBA: next, lastLBA: next + UInt64(count) - 1))
                next += UInt64(count)
            }
            let table = GPT.Table(diskGUID: Self.guid(9), diskSize: (next + 33) * 512, partitions: partitions)
            let path = scratch + "/disk-\(slots).img"
            try? FileManager.default.removeItem(atPath: path)
            _ = try GPT.write(table, to: path)
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            for (index, part) in parts.enumerated() where !part.4.isEmpty {
                try handle.seek(toOffset: partitions[index].offset)
                handle.write(Data(part.4))
            }
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        }

        /// The root, tree and signature as an update bundle, signed or not.
        func bundle(signed: Bool) throws -> [UInt8] {
            let files = [("root", root), ("verity", tree), ("verity-sig", signed ? signature : [UInt8](repeating: 0, count: 16384))]
            var sources: [UpdateBundle.PayloadSource] = []
            for (role, bytes) in files {
                let path = scratch + "/payload-" + role
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                sources.append(try UpdateBundle.PayloadSource.wholeFile(role: UpdateBundle.PayloadRole(rawValue: role), path: path))
            }
            let path = scratch + "/\(signed).bundle"
            try? FileManager.default.removeItem(atPath: path)
            let signer = signed
                ? UpdateBundle.Signer(key: try PrivateKey(pem: identity.privateKeyPEM), certificate: try Certificate(pem: identity.certificatePEM))
                : nil
            _ = try UpdateBundle.write(to: path, name: "fuzz", version: "1", rootHash: Hex.encode(rootHash),
                                       payloads: sources, signer: signer, mtime: 1_700_000_000)
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        }

        static func guid(_ byte: UInt8) -> GPT.GUID {
            GPT.GUID(bytes: [byte, 0x11, 0x22, 0x33, 0x44, 0x55, 0x46, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, byte])
        }
    }
}
