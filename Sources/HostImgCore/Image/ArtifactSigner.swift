#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Bundle
import DMVerity
import Foundation
import GPT

/// `hostimg sign`: the second phase of two-phase signing. An image built with `--unsigned`
/// gets its verity-sig partition written and its bundle re-signed, giving the same bytes a
/// one-step signed build gives (RSA signatures are deterministic; ECDSA ones are not).
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
        for slot in Slot.find(in: table) where slot.root.name != ImageLayout.emptyLabel {
            let rootHash = slot.root.uuid.bytes + slot.verity.uuid.bytes
            let file = try FileHandleFD(path: path, flags: O_RDWR)
            let superBlock = try DMVerity.SuperBlock(decoding: try file.read(count: DMVerity.SuperBlock.size, at: slot.verity.offset))
            do {
                try DMVerity.verify(
                    data: DMVerity.Region(path: path, offset: slot.root.offset,
                                          length: superBlock.dataBlocks * UInt64(superBlock.dataBlockSize)),
                    hash: DMVerity.Region(path: path, offset: slot.verity.offset, length: slot.verity.size),
                    rootHash: rootHash)
            } catch {
                throw ImageError.input("\(path): slot \(slot.letter) does not verify, refusing to sign it: \(error)")
            }
            let current = try file.read(count: VeritySignature.partitionSize, at: slot.signature.offset)
            let existing = try VeritySignature.decode(current)
            if existing != nil, !force {
                throw ImageError.input("\(path): slot \(slot.letter) is already signed (certificate \(existing?.certificateFingerprint.prefix(16) ?? "")…); pass --force to replace the signature")
            }
            let signature = try VeritySignature.sign(rootHash: rootHash, key: identity.key, certificate: identity.certificate)
            try file.write(try signature.encoded(), at: slot.signature.offset)
            try file.sync()
            outcomes.append(Outcome(path: path, rootHash: hex(rootHash),
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
        guard let rootHash = unhex(reader.manifest.rootHash), rootHash.count == 32 else {
            throw ImageError.input("\(path): the manifest's root hash '\(reader.manifest.rootHash)' is not 64 hex digits")
        }
        let signature = try VeritySignature.sign(rootHash: rootHash, key: identity.key, certificate: identity.certificate)
        _ = try UpdateBundle.resign(bundle: path, output: path, replacing: ["verity-sig": try signature.encoded()],
                                    signer: UpdateBundle.Signer(key: identity.key, certificate: identity.certificate),
                                    mtime: reader.mtime)
        return Outcome(path: path, rootHash: reader.manifest.rootHash, action: reader.isSigned ? "re-signed bundle" : "signed bundle")
    }

    /// After signing, the report in the same directory says who signed.
    public static func updateReport(_ reportPath: String, identity: SigningIdentity) throws {
        guard let data = FileManager.default.contents(atPath: reportPath) else { return }
        var report = try JSONDecoder().decode(BuildReport.self, from: data)
        report.disk?.signing = BuildReport.Image.Signing(
            signed: true, subject: identity.certificate.subject,
            certificateFingerprint: identity.certificate.sha256Fingerprint,
            developmentKey: identity.isDevelopment, source: identity.source)
        try RootFSBuild.writeJSON(report, to: reportPath)
    }
}
