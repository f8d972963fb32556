import Bundle
import ByteCodec
import Crypto
import DMVerity

/// `verify` of an update bundle: the structure (checked when the reader opens it), the
/// manifest signature, every payload's sizes and hashes, the verity tree against the root
/// payload and the manifest's root hash, and the verity signature.
extension ArtifactVerifier {
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
        var check = BundleCheck(reader: reader, path: path)
        check.run()
        for payload in reader.manifest.payloads {
            guard let result = check.results[payload.role] else { continue }
            report.add("payload \(payload.role)", result.status, result.detail)
        }
        report.add("payload verity tree", check.tree.status, check.tree.detail)
        if let signature = check.signature {
            checkSignature(part: "payload verity-sig signature", bytes: { signature },
                           rootHash: reader.manifest.rootHash, certificate: certificate, into: &report)
        }
        return report
    }

    /// Streams each payload once: verity first (the tree's superblock and levels), then root
    /// (its data blocks), then the rest, so the tree is checked on the way without keeping
    /// either payload. Results are by role; lines are added in manifest order.
    struct BundleCheck {
        typealias Line = (status: VerificationReport.Status, detail: String)

        let reader: UpdateBundle.Reader
        let path: String
        var results: [UpdateBundle.PayloadRole: Line] = [:]
        var tree: Line = (.failed, "not checked")
        /// The verity-sig payload (at most its role's 16 KiB), when it matched the manifest.
        var signature: [UInt8]?

        init(reader: UpdateBundle.Reader, path: String) {
            self.reader = reader
            self.path = path
        }

        mutating func run() {
            let manifest = reader.manifest
            let verifier = makeVerifier()
            var treeError: (any Error)? = verifier.error
            let ordered = [UpdateBundle.PayloadRole.verity, .root].filter { manifest.payload(role: $0) != nil }
                + manifest.payloads.map(\.role).filter { $0 != .verity && $0 != .root }
            for role in ordered {
                var collected: [UInt8] = []
                let passed = stream(role) { chunk in
                    if role == .veritySignature {
                        // The manifest bounds this payload to 16 KiB; never collect more.
                        if collected.count + chunk.count <= VeritySignature.partitionSize { collected += chunk }
                        return
                    }
                    guard role == .verity || role == .root, treeError == nil, let tree = verifier.value else { return }
                    do {
                        try role == .verity ? tree.consumeHash(chunk) : tree.consumeData(chunk)
                    } catch {
                        treeError = error
                    }
                }
                if role == .veritySignature, passed { signature = collected }
                guard passed, role == .verity || role == .root, treeError == nil, let tree = verifier.value else { continue }
                do {
                    if role == .verity { try tree.finishHash() } else { try tree.finishData() }
                } catch {
                    treeError = error
                }
            }
            tree = treeLine(verifier: verifier.value, error: treeError)
        }

        /// One payload through the reader (sizes and both hashes against the manifest), its
        /// chunks to `sink`; records the payload's line and whether it passed.
        mutating func stream(_ role: UpdateBundle.PayloadRole, into sink: (UnsafeRawBufferPointer) -> Void) -> Bool {
            guard let payload = reader.manifest.payload(role: role) else { return false }
            do {
                try reader.streamPayload(role: role) { sink($0) }
                results[role] = (.ok, "\(payload.size) bytes, sha256 \(payload.sha256.prefix(16))… matches")
                return true
            } catch {
                results[role] = (.failed, "\(error)")
                return false
            }
        }

        /// The tree check for the manifest's root hash and payload sizes, or why there is none.
        func makeVerifier() -> (value: DMVerity.StreamVerifier?, error: (any Error)?) {
            let manifest = reader.manifest
            guard let root = manifest.payload(role: .root), let verity = manifest.payload(role: .verity) else {
                return (nil, ImageError.input("the bundle has no root or no verity payload; a host cannot install a slot from it"))
            }
            guard let rootHash = Hex.decode(manifest.rootHash), rootHash.count == 32 else {
                return (nil, ImageError.input("the manifest's root hash \(manifest.rootHash.prefix(80)) is not a SHA-256 root hash (64 hex digits)"))
            }
            do {
                let verifier = try DMVerity.StreamVerifier(
                    rootHash: rootHash, hashName: "the verity payload of \(path)", hashBytes: verity.size,
                    dataName: "the root payload of \(path)", dataBytes: root.size)
                return (verifier, nil)
            } catch {
                return (nil, error)
            }
        }

        /// The line for the tree: skipped when a payload it needs already failed (that line
        /// says why), failed with the tree's error, ok naming the blocks and the root hash.
        func treeLine(verifier: DMVerity.StreamVerifier?, error: (any Error)?) -> Line {
            if results[.root]?.status == .failed || results[.verity]?.status == .failed {
                return (.skipped, "the root or verity payload does not match the manifest (see its line)")
            }
            if let error { return (.failed, "\(error)") }
            guard let superBlock = verifier?.superBlock else { return (.failed, "the tree was not checked") }
            return (.ok, "\(superBlock.dataBlocks) data blocks of the root payload match the manifest's root hash "
                + "\(reader.manifest.rootHash) through the verity payload's tree")
        }
    }
}
