#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Bundle
import ByteCodec
import DMVerity
import Foundation
import GPT
import Slots
import Manifests
import SystemIO

/// `hostimg sign`: the second phase of two-phase signing. An image built with `--unsigned`
/// gets its verity-sig partition written, its initrd the certificate its init checks the
/// signature with, and its bundle re-signed, giving the same bytes a one-step signed build
/// gives (RSA signatures are deterministic; ECDSA ones are not).
///
/// Before signing, the slot's verity tree is checked against the root hash its PARTUUIDs
/// carry, so a key never vouches for a tree that does not match.
public enum ArtifactSigner {
    public struct Outcome: Sendable, Codable {
        public var path: String
        public var rootHash: String
        public var action: String
    }

    public static func signImage(_ path: String, identity: SigningIdentity, force: Bool) throws -> [Outcome] {
        let table: GPT.Table
        do {
            table = try GPT.read(path: path)
        } catch {
            throw ImageError.input("\(path): \(error)")
        }
        var outcomes: [Outcome] = []
        for slot in SlotTable(table).slots where slot.state == .written {
            let rootHash = slot.rootHash
            let file = try SystemIO.File(path: path, flags: O_RDWR)
            let superBlock = try DMVerity.SuperBlock(decoding: try file.read(count: DMVerity.SuperBlock.size, at: slot.verity.partition.offset))
            do {
                try DMVerity.verify(
                    data: DMVerity.Region(path: path, offset: slot.root.partition.offset,
                                          length: superBlock.dataBlocks * UInt64(superBlock.dataBlockSize)),
                    hash: DMVerity.Region(path: path, offset: slot.verity.partition.offset, length: slot.verity.partition.size),
                    rootHash: rootHash)
            } catch {
                throw ImageError.input("\(path): slot \(slot.letter) does not verify, refusing to sign it: \(error)")
            }
            let current = try file.read(count: VeritySignature.partitionSize, at: slot.signature.partition.offset)
            let existing = try VeritySignature.decode(current)
            if existing != nil, !force {
                throw ImageError.input("\(path): slot \(slot.letter) is already signed (certificate \(existing?.certificateFingerprint.prefix(16) ?? "")…); pass --force to replace the signature")
            }
            let signature = try VeritySignature.sign(rootHash: rootHash, key: identity.key, certificate: identity.certificate)
            try file.write(try signature.encoded(), at: slot.signature.partition.offset)
            try file.sync()
            outcomes.append(Outcome(path: path, rootHash: Hex.encode(rootHash),
                                    action: existing == nil ? "signed slot \(slot.letter)" : "re-signed slot \(slot.letter)"))
        }
        guard !outcomes.isEmpty else { throw ImageError.input("\(path): no filled slot to sign") }
        return outcomes
    }

    public static func signBundle(_ path: String, identity: SigningIdentity, force: Bool) throws -> Outcome {
        let reader = try UpdateBundle.Reader(path: path)
        if reader.isSigned, !force {
            throw ImageError.input("\(path) is already signed; pass --force to sign it again")
        }
        guard let rootHash = Hex.decode(reader.manifest.rootHash), rootHash.count == 32 else {
            throw ImageError.input("\(path): the manifest's root hash '\(reader.manifest.rootHash)' is not 64 hex digits")
        }
        let signature = try VeritySignature.sign(rootHash: rootHash, key: identity.key, certificate: identity.certificate)
        var replacing: [UpdateBundle.PayloadRole: [UInt8]] = [.veritySignature: try signature.encoded()]
        // The initrd's init checks the signature only when it carries the certificate.
        if reader.manifest.payload(role: .initrd) != nil {
            var initrd: [UInt8] = []
            try reader.streamPayload(role: .initrd) { initrd.append(contentsOf: $0) }
            replacing[.initrd] = try BootStage.certify(initrd: initrd, name: "\(path) (initrd)", certificate: identity.certificate)
        }
        _ = try UpdateBundle.resign(bundle: path, output: path, replacing: replacing,
                                    signer: UpdateBundle.Signer(key: identity.key, certificate: identity.certificate),
                                    mtime: reader.mtime)
        return Outcome(path: path, rootHash: reader.manifest.rootHash, action: reader.isSigned ? "re-signed bundle" : "signed bundle")
    }

    /// A build output directory: its disk images, then its initrd, then its bundles (so a
    /// bundle's initrd payload and `initrd.img` get the same bytes), then report.json.
    public static func signDirectory(_ directory: String, identity: SigningIdentity, force: Bool) throws -> [Outcome] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        let images = names.filter { $0.hasSuffix(".img") && $0 != BootFiles.initrdName }
        let bundles = names.filter { $0.hasSuffix(".bundle") }
        guard !images.isEmpty || !bundles.isEmpty else {
            throw ImageError.input("\(directory) holds no .img or .bundle to sign; give a build output directory (hostimg build -o DIR)")
        }
        var outcomes: [Outcome] = []
        for image in images {
            outcomes += try signImage(directory + "/" + image, identity: identity, force: force)
        }
        if names.contains(BootFiles.initrdName) {
            outcomes.append(try signInitrd(directory + "/" + BootFiles.initrdName, identity: identity))
        }
        for bundle in bundles {
            outcomes.append(try signBundle(directory + "/" + bundle, identity: identity, force: force))
        }
        try updateReport(directory + "/report.json", identity: identity)
        return outcomes
    }

    /// The build output's `initrd.img` with the certificate added, as a signed build writes
    /// it (the bundle's initrd payload gets the same bytes in `signBundle`).
    public static func signInitrd(_ path: String, identity: SigningIdentity) throws -> Outcome {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImageError.input("cannot read \(path)")
        }
        let certified = try BootStage.certify(initrd: [UInt8](data), name: path, certificate: identity.certificate)
        let changed = certified != [UInt8](data)
        if changed { try SystemIO.replace(path, with: certified) }
        return Outcome(path: path, rootHash: "",
                       action: changed ? "added the certificate to the initrd (its init now checks the root hash signature)" : "the initrd already carries this certificate")
    }

    /// After signing, the report in the same directory says who signed.
    public static func updateReport(_ reportPath: String, identity: SigningIdentity) throws {
        guard let data = FileManager.default.contents(atPath: reportPath) else { return }
        var report = try JSONDecoder().decode(BuildReport.self, from: data)
        if var boot = report.boot {
            boot.verifiesSignature = true
            let initrd = (reportPath as NSString).deletingLastPathComponent + "/" + BootFiles.initrdName
            let size = fileSize(initrd)
            if size > 0 { boot.initrdBytes = size }
            report.boot = boot
        }
        report.disk?.signing = BuildReport.Image.Signing(
            signed: true, subject: identity.certificate.subject,
            certificateFingerprint: identity.certificate.sha256Fingerprint,
            developmentKey: identity.isDevelopment, source: identity.source)
        try Pipeline.writeJSON(report, to: reportPath)
    }
}
