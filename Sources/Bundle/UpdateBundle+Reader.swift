import Crypto
import Zstd

extension UpdateBundle {
    /// Reads a bundle the way a host installs it: manifest and signature first, then each
    /// payload streamed through zstd and SHA-256.
    ///
    /// `init` reads the first one or two members, then checks the archive's structure: one
    /// 512-byte header read per payload, each the member the manifest names at its place with
    /// its compressed size, then the end-of-archive marker, then nothing (zero padding up to
    /// a tar record at most). A member appended after the last payload (even a second
    /// manifest.json, which `tar x` would extract over the first) or a missing marker fails
    /// here, so no caller can skip the check. Every size taken from the input is checked
    /// against the input's length before anything is read or allocated, the manifest and
    /// signature are bounded (`maximumManifestSize`, `maximumSignatureSize`), payload sizes
    /// by their role (`PayloadRole.maximumSize`), and decompression stops at the size the
    /// manifest announces: hostile input ends in a `BundleError`, never a crash, a hang or an
    /// unbounded allocation.
    ///
    /// A sequential reader (`init(input:sequential: true)`, for a download) makes the same
    /// checks in another order: `init` reads only the manifest and signature (walking the
    /// payload headers would mean downloading every payload), payloads are streamed in
    /// manifest order only, each header checked as it comes, and the end-of-archive check
    /// runs when the last payload has been streamed. Its caller therefore activates nothing
    /// before the last `streamPayload` returned.
    ///
    /// On a block device (`Input.mayContinuePastBundle`) whatever follows the end-of-archive
    /// marker is the rest of the device, not the bundle: it is neither read nor checked. The
    /// check that nothing follows exists so that a bundle file cannot carry members `tar x`
    /// would extract; a device is never extracted with tar, and the signed manifest still
    /// pins every payload's size and hash.
    ///
    /// The reader does not verify the signature on its own: call `verifySignature` first,
    /// then stream or verify payloads.
    public final class Reader {
        /// The input's name (a path or a URL), for messages.
        public let path: String
        private let input: any Input
        private let fileSize: UInt64
        /// Payloads stream forward in manifest order (a payload may be skipped, none read
        /// twice); the end is checked after the last one.
        public let isSequential: Bool
        public let manifest: Manifest
        /// The exact bytes of manifest.json (what the signature covers).
        public let manifestBytes: [UInt8]
        /// The DER PKCS#7 signature, nil in an unsigned bundle.
        public let signature: [UInt8]?
        /// The members' modification time (the build's SOURCE_DATE_EPOCH), which `resign`
        /// keeps so a re-signed bundle has the bytes of a bundle signed at build time.
        public let mtime: Int64
        /// Payload members found so far, in manifest order.
        private var located: [(dataOffset: UInt64, size: UInt64)] = []
        /// Where the next payload header is expected.
        private var nextHeader: UInt64
        /// In a sequential reader, the manifest index of the next payload to stream.
        private var nextSequential = 0
        /// Whether the end-of-archive check passed.
        private var endChecked = false

        public var isSigned: Bool { signature != nil }

        /// A bundle in a regular file or on a block device.
        public convenience init(path: String) throws {
            try self.init(input: FileInput(path: path))
        }

        /// A bundle from any input. `sequential`: see the type's comment.
        public init(input: any Input, sequential: Bool = false) throws {
            self.input = input
            path = input.name
            isSequential = sequential
            fileSize = input.size
            guard fileSize >= UInt64(TarHeader.size) else {
                throw BundleError.notATar(
                    path: path, detail: "it has \(fileSize) bytes, less than one 512-byte tar header")
            }
            let firstHeader = try Self.header(input, at: 0, fileSize: fileSize, expected: "a tar header")
            guard firstHeader.name == manifestName else { throw BundleError.firstMemberNotManifest(found: firstHeader.name) }
            let (second, manifestData) = try Self.readMember(
                input, header: firstHeader, at: 0, fileSize: fileSize, limit: maximumManifestSize)
            manifestBytes = manifestData
            manifest = try Manifest.decode(manifestData)
            mtime = firstHeader.mtime
            guard let block = try input.read(count: TarHeader.size, at: second) else {
                throw BundleError.truncated(path: path, offset: fileSize, expected: "the header after manifest.json")
            }
            if TarHeader.isZeroBlock(block) {
                throw BundleError.payloadMissing(role: manifest.payloads[0].role, file: manifest.payloads[0].file)
            }
            let header = try TarHeader(decoding: block, at: second, path: path)
            if header.name == signatureName {
                let (next, signatureData) = try Self.readMember(
                    input, header: header, at: second, fileSize: fileSize, limit: maximumSignatureSize)
                signature = signatureData
                nextHeader = next
            } else {
                signature = nil
                nextHeader = second
            }
            if !sequential { try checkEnd() }
        }

        /// The header at `offset`.
        private static func header(_ input: any Input, at offset: UInt64, fileSize: UInt64, expected: String) throws -> TarHeader {
            guard let block = try input.read(count: TarHeader.size, at: offset) else {
                throw BundleError.truncated(path: input.name, offset: fileSize, expected: expected)
            }
            return try TarHeader(decoding: block, at: offset, path: input.name)
        }

        /// Read the data of a whole small member whose header (at `offset`) was decoded;
        /// returns the offset after it and its data.
        private static func readMember(
            _ input: any Input, header: TarHeader, at offset: UInt64, fileSize: UInt64, limit: UInt64
        ) throws -> (UInt64, [UInt8]) {
            guard header.size <= limit else {
                throw BundleError.memberTooLarge(name: header.name, size: header.size, limit: limit)
            }
            let dataOffset = offset + UInt64(TarHeader.size)
            guard dataOffset + header.paddedDataSize <= fileSize,
                let data = try input.read(count: Int(header.size), at: dataOffset)
            else {
                throw BundleError.truncated(path: input.name, offset: fileSize, expected: "the data of \(header.name)")
            }
            return (dataOffset + header.paddedDataSize, data)
        }

        // MARK: Signature

        /// Verifies the manifest signature against `certificate`: call this before anything
        /// else. Throws `.unsigned` or `.badSignature` naming the certificate.
        public func verifySignature(trusting certificate: Certificate) throws {
            guard let signature else { throw BundleError.unsigned }
            do {
                try PKCS7.verifyDetached(signature: signature, data: manifestBytes, trusting: certificate)
            } catch {
                var detail = "\(error)"
                if let signedBy = manifest.signedBy, signedBy != certificate.sha256Fingerprint {
                    detail += "; the manifest names signer fingerprint \(signedBy), the trusted certificate is "
                        + certificate.sha256Fingerprint
                }
                throw BundleError.badSignature(subject: certificate.subject, detail: detail)
            }
        }

        // MARK: Payloads

        /// Streams one payload: decompresses it, hashes the compressed and the uncompressed
        /// bytes, and hands uncompressed chunks to `sink`. Throws `.payloadMismatch` naming the
        /// role when a size or hash differs from the manifest. The sink may have received
        /// bytes by then: the caller activates nothing until every payload passed.
        public func streamPayload(role: PayloadRole, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
            try stream(role: role, compressed: { _ in }, into: sink)
        }

        /// Checks every payload (streaming, no output) and that nothing follows the last one
        /// but the end-of-archive marker. Throws naming the first failing role. A sequential
        /// reader checks the payloads it has not streamed yet.
        public func verifyPayloads() throws {
            for payload in manifest.payloads[(isSequential ? nextSequential : 0)...] {
                try streamPayload(role: payload.role) { _ in }
            }
            try checkEnd()
        }

        /// Stream a payload, also handing the compressed chunks to `compressed` (how `resign`
        /// copies a payload it checks on the way).
        func stream(
            role: PayloadRole, compressed: (UnsafeRawBufferPointer) throws -> Void,
            into sink: (UnsafeRawBufferPointer) throws -> Void
        ) throws {
            guard let index = manifest.payloads.firstIndex(where: { $0.role == role }) else {
                throw BundleError.unknownRole(role, known: manifest.payloads.map(\.role))
            }
            // Forward only: a payload may be skipped (a host install has no use for the bare
            // kernel or initrd beside the UKI), never read again.
            if isSequential, index < nextSequential {
                throw BundleError.invalidArgument(
                    "\(path) is read sequentially: payloads stream once each, in manifest order "
                        + "(\(manifest.payloads.map(\.role.rawValue).joined(separator: ", "))); "
                        + "payload \(role) was asked for after a later one")
            }
            let info = manifest.payloads[index]
            let member = try locate(index)
            let plainHash = try RunningDigest()
            let compressedHash = try RunningDigest()
            var produced: UInt64 = 0
            let limit = Int(clamping: info.size)
            do {
                let decompressor = try ZstdDecompressor(limit: limit)
                try input.copy(offset: member.dataOffset, length: member.size, what: "the data of \(info.file)") { chunk in
                    try compressedHash.update(chunk)
                    try compressed(chunk)
                    try decompressor.decompress(chunk) { piece in
                        try plainHash.update(piece)
                        produced += UInt64(piece.count)
                        try sink(piece)
                    }
                }
                try decompressor.finish()
            } catch ZstdError.outputLimitExceeded {
                throw BundleError.payloadMismatch(role: role, what: "it decompresses to more than the \(info.size) bytes announced")
            } catch let error as ZstdError {
                throw BundleError.payloadMismatch(role: role, what: "the compressed data is corrupt (\(error))")
            }
            let compressedDigest = try compressedHash.finish()
            guard compressedDigest == info.compressedSha256 else {
                throw BundleError.payloadMismatch(
                    role: role, what: "compressed SHA-256 is \(compressedDigest), the manifest says \(info.compressedSha256)")
            }
            guard produced == info.size else {
                throw BundleError.payloadMismatch(
                    role: role, what: "it decompresses to \(produced) bytes, the manifest says \(info.size)")
            }
            let digest = try plainHash.finish()
            guard digest == info.sha256 else {
                throw BundleError.payloadMismatch(role: role, what: "SHA-256 is \(digest), the manifest says \(info.sha256)")
            }
            if isSequential {
                nextSequential = index + 1
                if nextSequential == manifest.payloads.count { try checkEnd() }
            }
        }

        /// Find the member of payload `index`, walking the headers in between. Each payload
        /// must be the next member, with the manifest's name and compressed size.
        private func locate(_ index: Int) throws -> (dataOffset: UInt64, size: UInt64) {
            while located.count <= index {
                let info = manifest.payloads[located.count]
                let position = located.count + (isSigned ? 2 : 1)
                guard let block = try input.read(count: TarHeader.size, at: nextHeader) else {
                    throw BundleError.truncated(path: path, offset: fileSize, expected: "the header of \(info.file)")
                }
                if TarHeader.isZeroBlock(block) { throw BundleError.payloadMissing(role: info.role, file: info.file) }
                let header = try TarHeader(decoding: block, at: nextHeader, path: path)
                guard header.name == info.file else {
                    throw BundleError.unexpectedMember(name: header.name, position: position, expected: info.file)
                }
                guard header.size == info.compressedSize else {
                    throw BundleError.payloadMismatch(
                        role: info.role,
                        what: "the archive member has \(header.size) bytes, the manifest says \(info.compressedSize) compressed bytes")
                }
                let dataOffset = nextHeader + UInt64(TarHeader.size)
                guard header.size <= fileSize, dataOffset + header.paddedDataSize <= fileSize else {
                    throw BundleError.truncated(path: path, offset: fileSize, expected: "the data of \(info.file)")
                }
                located.append((dataOffset, header.size))
                nextHeader = dataOffset + header.paddedDataSize
            }
            return located[index]
        }

        /// Zero bytes GNU tar may add after the marker: up to a whole record (20 blocks).
        static let recordSize: UInt64 = 20 * 512

        /// After the last payload only the two zero blocks of the end-of-archive marker may
        /// follow, then the input's end (or zero padding to the next tar record); on a block
        /// device, the rest of the device, which is not read (see the type's comment).
        ///
        /// `init` runs this, except in a sequential reader, where streaming the last payload
        /// does: call it only to check the end without streaming (a second call costs nothing).
        public func checkEnd() throws {
            guard !endChecked else { return }
            _ = try locate(manifest.payloads.count - 1)
            for block in 0..<2 {
                let offset = nextHeader + UInt64(block * TarHeader.size)
                guard let bytes = try input.read(count: TarHeader.size, at: offset) else {
                    throw BundleError.truncated(path: path, offset: fileSize, expected: "the end-of-archive marker")
                }
                if !TarHeader.isZeroBlock(bytes) {
                    let header = try TarHeader(decoding: bytes, at: offset, path: path)
                    throw BundleError.unexpectedMember(
                        name: header.name, position: manifest.payloads.count + (isSigned ? 2 : 1),
                        expected: "the end-of-archive marker after the last payload")
                }
            }
            let end = nextHeader + UInt64(2 * TarHeader.size)
            let trailing = fileSize - end  // both zero blocks were read, so end <= fileSize
            if trailing > 0, !input.mayContinuePastBundle {
                let padding = trailing < Self.recordSize ? try input.read(count: Int(trailing), at: end) : nil
                guard let padding, padding.allSatisfy({ $0 == 0 }) else {
                    throw BundleError.trailingData(offset: end, bytes: trailing)
                }
            }
            endChecked = true
        }
    }
}
