#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Bundle
import ByteCodec
import DMVerity
import PE
import Slots
import SystemIO

/// Signing an update bundle: the root hash its manifest names is signed only once the verity
/// payload's tree has been checked against the root payload in this run, and the re-signed
/// bundle goes to its temporary name until every output of the run is ready.
extension ArtifactSigner {
    /// `secureBoot`: sign the UKI and kernel payloads by Authenticode (the build directory's
    /// image says so); nil decides by the UKI payload (already signed: keep it signed).
    static func stageBundle(_ path: String, identity: SigningIdentity, force: Bool, outputs: StagedOutputs,
                            secureBoot: Bool? = nil) throws -> Outcome {
        let reader = try UpdateBundle.Reader(path: path)
        if reader.isSigned, !force {
            throw ImageError.input("\(path) is already signed; pass --force to sign it again")
        }
        guard let claimed = Hex.decode(reader.manifest.rootHash), claimed.count == 32 else {
            throw ImageError.input("\(path): the manifest's root hash '\(reader.manifest.rootHash)' is not 64 hex digits")
        }
        try checkTree(of: reader, claimed: claimed)
        try checkCommandLine(of: reader, rootHash: claimed)
        let signature = try VeritySignature.sign(rootHash: claimed, key: identity.key, certificate: identity.certificate)
        var replacing: [UpdateBundle.PayloadRole: [UInt8]] = [.veritySignature: try signature.encoded()]
        // The initrd's init checks the signature only when it carries the certificate.
        if let initrd = reader.manifest.payload(role: .initrd) {
            guard initrd.size <= UInt64(maximumInitrdSize) else {
                throw ImageError.input("\(path): the initrd payload announces \(initrd.size) bytes, more than an initrd hostimg writes; rebuild the bundle")
            }
            var bytes: [UInt8] = []
            try reader.streamPayload(role: .initrd) { bytes.append(contentsOf: $0) }
            replacing[.initrd] = try BootStage.certify(initrd: bytes, name: "\(path) (initrd)", certificate: identity.certificate)
        }
        try stageBootPayloads(of: reader, path: path, identity: identity, secureBoot: secureBoot, into: &replacing)
        _ = try UpdateBundle.resign(bundle: path, output: outputs.temporary(for: path), replacing: replacing,
                                    signer: UpdateBundle.Signer(key: identity.key, certificate: identity.certificate),
                                    mtime: reader.mtime)
        return Outcome(path: path, rootHash: Hex.encode(claimed), action: reader.isSigned ? "re-signed bundle" : "signed bundle")
    }

    /// The UKI payload with the certificate in its initrd, and, for Secure Boot, the UKI and
    /// the kernel payload signed by Authenticode (the kernel payload is the UKI's `.linux`).
    static func stageBootPayloads(of reader: UpdateBundle.Reader, path: String, identity: SigningIdentity, secureBoot: Bool?,
                                  into replacing: inout [UpdateBundle.PayloadRole: [UInt8]]) throws {
        guard let info = reader.manifest.payload(role: .uki) else { return }
        guard info.size <= UInt64(maximumUKISize) else {
            throw ImageError.input("\(path): the UKI payload announces \(info.size) bytes, more than a UKI hostimg writes; rebuild the bundle")
        }
        var uki: [UInt8] = []
        try reader.streamPayload(role: .uki) { uki.append(contentsOf: $0) }
        let signed = secureBoot ?? isAuthenticodeSigned(uki)
        let certified = try certifyUKI(uki, name: "\(path) (uki)", identity: identity, secureBoot: signed)
        replacing[.uki] = certified
        if signed, reader.manifest.payload(role: .kernel) != nil, let kernel = try PE.Image(certified).section(named: ".linux") {
            replacing[.kernel] = kernel
        }
    }

    /// The largest UKI `sign` reads into memory (the kernel, the initrd and the stub).
    static let maximumUKISize = 512 << 20

    /// Streams the root and verity payloads (each checked against the manifest's sizes and
    /// hashes on the way) into scratch files beside the bundle, removed afterwards, and checks
    /// the tree top down: SHA256(salt ‖ top hash block) must be `claimed`, every hash block
    /// the digest its parent stores, every data block of the root payload the digest level 0
    /// stores, and the tree must cover the whole root payload.
    static func checkTree(of reader: UpdateBundle.Reader, claimed: [UInt8]) throws {
        let path = reader.path
        guard reader.manifest.payload(role: .root) != nil, reader.manifest.payload(role: .verity) != nil else {
            throw ImageError.input("\(path) has no root or no verity payload: there is nothing to check its root hash against, so it is not signed")
        }
        let scratch = SystemIO.temporaryPath(for: path)
        let (rootFile, verityFile) = (scratch + ".root", scratch + ".verity")
        defer {
            SystemIO.removeIfPresent(rootFile)
            SystemIO.removeIfPresent(verityFile)
        }
        let rootBytes = try spool(reader, role: .root, to: rootFile)
        let verityBytes = try spool(reader, role: .verity, to: verityFile)
        let superBlock: DMVerity.SuperBlock
        do {
            superBlock = try DMVerity.SuperBlock(decoding: try SystemIO.File(path: verityFile, flags: O_RDONLY)
                .read(upTo: DMVerity.SuperBlock.size, at: 0))
        } catch {
            throw ImageError.input("\(path): the verity payload does not start with a dm-verity superblock (\(error)); rebuild the bundle")
        }
        // Decoding refused a data size that overflows, so `dataBytes` is exact here.
        guard superBlock.dataBytes == rootBytes else {
            throw ImageError.input("\(path): the verity payload's superblock describes \(superBlock.dataBlocks) blocks of \(superBlock.dataBlockSize) bytes, but the root payload has \(rootBytes) bytes: what the tree does not cover cannot be signed; rebuild the bundle")
        }
        do {
            try DMVerity.verify(data: DMVerity.Region(path: rootFile, offset: 0, length: rootBytes),
                                hash: DMVerity.Region(path: verityFile, offset: 0, length: verityBytes), rootHash: claimed)
        } catch let DMVerityError.rootHashMismatch(expected, computed, _) {
            throw ImageError.input("\(path): the manifest names root hash \(expected), but the verity payload's tree over the root payload gives \(computed); refusing to sign a root hash that was never checked (rebuild the bundle)")
        } catch {
            throw ImageError.input("\(path): the verity payload does not match the root payload, refusing to sign: \(error)")
        }
    }

    /// The bundle's command line (when it has one) must boot the root hash being signed.
    static func checkCommandLine(of reader: UpdateBundle.Reader, rootHash: [UInt8]) throws {
        guard let info = reader.manifest.payload(role: .commandLine) else { return }
        guard info.size <= 65536 else {
            throw ImageError.input("\(reader.path): the command line payload announces \(info.size) bytes, more than a kernel command line holds; rebuild the bundle")
        }
        var bytes: [UInt8] = []
        try reader.streamPayload(role: .commandLine) { bytes.append(contentsOf: $0) }
        let text = String(decoding: bytes, as: UTF8.self)
        guard RunningSlot.rootHash(commandLine: text) == rootHash else {
            let boots = text.split(separator: " ").first { $0.hasPrefix("roothash=") }.map(String.init) ?? "no roothash="
            throw ImageError.input("\(reader.path): the command line payload boots \(boots), but the root hash being signed is \(Hex.encode(rootHash)); rebuild the bundle")
        }
    }

    /// One payload, decompressed and checked by the reader, into a new file; returns its size.
    static func spool(_ reader: UpdateBundle.Reader, role: UpdateBundle.PayloadRole, to path: String) throws -> UInt64 {
        let file = try SystemIO.File(path: path, flags: O_RDWR | O_CREAT | O_TRUNC, mode: 0o600)
        var written: UInt64 = 0
        try reader.streamPayload(role: role) { chunk in
            try file.write(chunk, at: written)
            written += UInt64(chunk.count)
        }
        return written
    }
}
