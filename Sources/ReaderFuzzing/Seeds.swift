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

/// The seed corpus: small real artefacts, written by the package's own writers, so the
/// fuzzer starts from inputs every reader accepts and mutates from there.
///
/// ```
/// DIR/certificate.pem       the certificate the signed seeds are signed with
/// DIR/gpt/seeds/            a tiny A/B disk (an ESP whose UKI boots slot A, signed; B empty);
///                           a table without slots
/// DIR/erofs/seeds/          a root with every node type: files, directories, hard and
///                           symbolic links, devices, FIFO, socket, xattrs, wide ids
/// DIR/verity/seeds/         that root with its tree (VerityInput); synthetic trees of 1, 3
///                           and 40 blocks of 512 bytes (no tree, one level, three levels)
/// DIR/verity-sig/seeds/     RSA- and ECDSA-signed JSON; an unsigned (zero) partition
/// DIR/bundle/seeds/         signed and unsigned bundles of that root
/// DIR/pe/seeds/             a signed UKI of systemd-stub booting that root, the same on a
///                           synthetic stub, systemd-boot (Seeds+Boot.swift)
/// DIR/fat/seeds/            an ESP's tree as FAT12, FAT16 and FAT32 volumes (`FATInput`)
/// ```
public enum Seeds {
    public static func write(to directory: String) throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hostimg-seeds-\(getpid())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let rsa = try DevelopmentIdentity.generate(commonName: "hostimg fuzz seeds", validityDays: 36_500, keyType: .rsa2048)
        let ec = try DevelopmentIdentity.generate(commonName: "hostimg fuzz seeds (ec)", validityDays: 36_500, keyType: .ecP256)
        let artefacts = try Artefacts(scratch: scratch, identity: rsa)
        var seeds: [(String, String, [UInt8])] = [
            ("gpt", "disk-ab.img", try artefacts.disk(slots: true)),
            ("gpt", "disk-no-slots.img", try artefacts.disk(slots: false)),
            ("erofs", "root.erofs", artefacts.root),
            ("verity", "root.verity", VerityInput(rootHash: artefacts.rootHash, hash: artefacts.tree, data: artefacts.root).encoded()),
            ("verity-sig", "rsa.json", artefacts.signature.prefix { $0 != 0 }.map { $0 }),
            ("verity-sig", "ec.json", try signature(artefacts.rootHash, ec).prefix { $0 != 0 }.map { $0 }),
            ("verity-sig", "unsigned", [UInt8](repeating: 0, count: 64)),
            ("bundle", "signed.bundle", try artefacts.bundle(signed: true)),
            ("bundle", "unsigned.bundle", try artefacts.bundle(signed: false)),
        ]
        seeds += try peSeeds(rootHash: artefacts.rootHash, identity: rsa)
        seeds += try fatSeeds(scratch: scratch)
        for blocks in [1, 3, 40] {
            seeds.append(("verity", "blocks-\(blocks).verity", try syntheticTree(blocks: blocks, scratch: scratch)))
        }
        for (reader, name, bytes) in seeds {
            let folder = directory + "/" + reader + "/seeds"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        try Data(rsa.certificatePEM.utf8).write(to: URL(fileURLWithPath: directory + "/certificate.pem"))
    }

    static func signature(_ rootHash: [UInt8], _ identity: DevelopmentIdentity) throws -> [UInt8] {
        try VeritySignature.sign(
            rootHash: rootHash, key: try PrivateKey(pem: identity.privateKeyPEM),
            certificate: try Certificate(pem: identity.certificatePEM)
        ).encoded()
    }

    /// `blocks` data blocks of 512 bytes hashed into 512-byte hash blocks (16 digests each).
    static func syntheticTree(blocks: Int, scratch: String) throws -> [UInt8] {
        let data = noise(blocks * 512, seed: UInt64(blocks))
        let dataPath = scratch + "/synthetic-\(blocks).data"
        let hashPath = scratch + "/synthetic-\(blocks).hash"
        try Data(data).write(to: URL(fileURLWithPath: dataPath))
        var parameters = DMVerity.Parameters(salt: Array(0..<32), uuid: Array(0..<16))
        parameters.dataBlockSize = 512
        parameters.hashBlockSize = 512
        let region = DMVerity.Region(path: dataPath, offset: 0, length: UInt64(data.count))
        let size = DMVerity.hashDeviceSize(dataSize: region.length, parameters: parameters)
        let result = try DMVerity.format(
            data: region, hash: DMVerity.Region(path: hashPath, offset: 0, length: size), parameters: parameters)
        let hash = [UInt8](try Data(contentsOf: URL(fileURLWithPath: hashPath)))
        return VerityInput(rootHash: result.rootHash, hash: hash, data: data).encoded()
    }
}
