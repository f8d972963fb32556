import ByteCodec

extension UpdateBundle {
    /// The first member of a bundle: what the bundle installs and how to check each payload.
    ///
    /// Serialised by `encoded()` as compact JSON with a fixed key order, so the bytes (and
    /// with them the signature) depend only on the values:
    /// ```
    /// {"format":1,"name":"…","version":"…","architecture":"x86-64","rootHash":"…",
    ///  "commandLine":"…","qemuVersion":"…","signedBy":"…","payloads":[{"role":"root","file":"root.erofs.zst","size":…,
    ///  "sha256":"…","compressedSize":…,"compressedSha256":"…","compression":"zstd"},…]}
    /// ```
    /// (one line in the file; `commandLine` and `qemuVersion` only when the build knows them,
    /// `signedBy` only in signed bundles). A reader accepts only this
    /// canonical form, so two parsers can never disagree about what a signed manifest says.
    public struct Manifest: Sendable, Equatable, Codable {
        public var format: Int
        public var name: String
        public var version: String
        public var architecture: String
        /// The dm-verity root hash of the root payload, lowercase hex.
        public var rootHash: String
        /// The slot's kernel command line (its UKI's `.cmdline`, without the trailing
        /// newline): what a switch checks before anything is written, e.g. that the preserved
        /// region (`memmap=`) is the running slot's. Nil in bundles of older builds.
        public var commandLine: String?
        /// The Debian version of the slot's `qemu-system-x86`, when it has one and the bundle
        /// says (`commandLine` present): whether running VMs' migration streams can cross to
        /// it is decided at plan time. Nil when the slot has no QEMU or the build is older.
        public var qemuVersion: String?
        /// SHA-256 fingerprint (lowercase hex of the DER certificate) of the signer; nil in
        /// an unsigned bundle.
        public var signedBy: String?
        public var payloads: [PayloadInfo]

        public init(
            format: Int = UpdateBundle.formatVersion, name: String, version: String,
            architecture: String = UpdateBundle.defaultArchitecture, rootHash: String, commandLine: String? = nil,
            qemuVersion: String? = nil, signedBy: String? = nil, payloads: [PayloadInfo]
        ) {
            self.format = format
            self.name = name
            self.version = version
            self.architecture = architecture
            self.rootHash = rootHash
            self.commandLine = commandLine
            self.qemuVersion = qemuVersion
            self.signedBy = signedBy
            self.payloads = payloads
        }

        /// A command line as the manifest holds it: without the newline, NULs and spaces a
        /// `.cmdline` file or section ends with.
        public static func trimmedCommandLine(_ text: String) -> String {
            var scalars = Substring(text).unicodeScalars
            while let last = scalars.last, last == "\n" || last == "\0" || last == " " || last == "\r" { scalars.removeLast() }
            return String(scalars)
        }

        /// The payload of a role, if the bundle has one.
        public func payload(role: PayloadRole) -> PayloadInfo? {
            payloads.first { $0.role == role }
        }
    }

    /// One payload as the manifest describes it.
    public struct PayloadInfo: Sendable, Equatable, Codable {
        /// "root", "verity", "verity-sig", "uki"...
        public var role: PayloadRole
        /// The archive member holding the compressed payload, `<role>.<ext>.zst`.
        public var file: String
        /// Uncompressed size in bytes.
        public var size: UInt64
        /// SHA-256 of the uncompressed bytes, lowercase hex.
        public var sha256: String
        /// Size of the archive member (the zstd frame) in bytes.
        public var compressedSize: UInt64
        /// SHA-256 of the archive member, lowercase hex.
        public var compressedSha256: String
        /// Always "zstd" in format 1.
        public var compression: String

        public init(
            role: PayloadRole, file: String, size: UInt64, sha256: String, compressedSize: UInt64, compressedSha256: String,
            compression: String = "zstd"
        ) {
            self.role = role
            self.file = file
            self.size = size
            self.sha256 = sha256
            self.compressedSize = compressedSize
            self.compressedSha256 = compressedSha256
            self.compression = compression
        }
    }
}

// MARK: - Canonical encoding

extension UpdateBundle.Manifest {
    /// The canonical bytes: what is written as manifest.json and signed.
    public func encoded() -> [UInt8] {
        var json = "{\"format\":\(format),\"name\":\(Self.quoted(name)),\"version\":\(Self.quoted(version))"
        json += ",\"architecture\":\(Self.quoted(architecture)),\"rootHash\":\(Self.quoted(rootHash))"
        if let commandLine { json += ",\"commandLine\":\(Self.quoted(commandLine))" }
        if let qemuVersion { json += ",\"qemuVersion\":\(Self.quoted(qemuVersion))" }
        if let signedBy { json += ",\"signedBy\":\(Self.quoted(signedBy))" }
        json += ",\"payloads\":["
        for (index, payload) in payloads.enumerated() {
            if index > 0 { json += "," }
            json += "{\"role\":\(Self.quoted(payload.role.rawValue)),\"file\":\(Self.quoted(payload.file))"
            json += ",\"size\":\(payload.size),\"sha256\":\(Self.quoted(payload.sha256))"
            json += ",\"compressedSize\":\(payload.compressedSize)"
            json += ",\"compressedSha256\":\(Self.quoted(payload.compressedSha256))"
            json += ",\"compression\":\(Self.quoted(payload.compression))}"
        }
        json += "]}"
        return Array(json.utf8)
    }

    /// A JSON string (RFC 8259), as every Foundation-free JSON of the package writes it.
    static func quoted(_ text: String) -> String { JSONString.quote(text) }
}

// MARK: - Decoding and validation

extension UpdateBundle.Manifest {
    /// Parse manifest bytes (`ManifestParser`: strict JSON, every field present with its
    /// type, no unknown or repeated key), check every field, and require the canonical form.
    /// Every problem is a `BundleError.invalidManifest` naming the field.
    public static func decode(_ bytes: [UInt8]) throws -> UpdateBundle.Manifest {
        let manifest = try UpdateBundle.Manifest(json: UpdateBundle.ManifestParser.parse(bytes))
        try manifest.validate()
        guard manifest.encoded() == bytes else {
            throw BundleError.invalidManifest(
                field: "(encoding)",
                problem: "is not in canonical form (compact JSON, fixed key order, no unknown keys); it was not written by this tool or was altered")
        }
        return manifest
    }

    /// Check every field against what format 1 allows; the error names the first bad field.
    public func validate() throws {
        func fail(_ field: String, _ problem: String) -> BundleError {
            .invalidManifest(field: field, problem: problem)
        }
        guard format == UpdateBundle.formatVersion else {
            throw fail("format", "is \(format); this reader understands format \(UpdateBundle.formatVersion)")
        }
        for (field, value) in [("name", name), ("version", version), ("architecture", architecture)] {
            guard (1...256).contains(value.count), !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
            else {
                throw fail(field, "is \(Self.quoted(value)); expected 1 to 256 characters without control characters")
            }
        }
        guard Self.isHex(rootHash, lengths: [64, 128]) else {
            throw fail("rootHash", "is \(Self.quoted(rootHash)); expected 64 or 128 lowercase hex digits")
        }
        if let commandLine, !(1...4096).contains(commandLine.utf8.count)
            || commandLine.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw fail("commandLine", "is \(Self.quoted(commandLine)); expected 1 to 4096 bytes without control characters")
        }
        if let qemuVersion, !(1...128).contains(qemuVersion.count)
            || qemuVersion.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7f }) {
            throw fail("qemuVersion", "is \(Self.quoted(qemuVersion)); expected a Debian version (1 to 128 printable characters)")
        }
        if let signedBy, !Self.isHex(signedBy, lengths: [64]) {
            throw fail("signedBy", "is \(Self.quoted(signedBy)); expected a SHA-256 fingerprint (64 lowercase hex digits)")
        }
        guard !payloads.isEmpty else { throw fail("payloads", "is empty; a bundle carries at least one payload") }
        var roles = Set<UpdateBundle.PayloadRole>()
        for (index, payload) in payloads.enumerated() {
            let at = "payloads[\(index)]"
            guard UpdateBundle.isValidRole(payload.role) else {
                throw fail("\(at).role", "is \(Self.quoted(payload.role.rawValue)); expected 1 to 64 of a-z, 0-9 and '-'")
            }
            guard roles.insert(payload.role).inserted else {
                throw fail("\(at).role", "\"\(payload.role)\" appears twice; each role appears once")
            }
            let bytes = Array(payload.file.utf8)
            guard UpdateBundle.isSafeMemberName(bytes), payload.file.hasPrefix(payload.role.rawValue + "."),
                payload.file.hasSuffix(".zst")
            else {
                throw fail("\(at).file", "is \(Self.quoted(payload.file)); expected \"\(payload.role).<ext>.zst\"")
            }
            guard payload.compression == "zstd" else {
                throw fail("\(at).compression", "is \(Self.quoted(payload.compression)); format 1 supports \"zstd\"")
            }
            for (field, value) in [("sha256", payload.sha256), ("compressedSha256", payload.compressedSha256)] {
                guard Self.isHex(value, lengths: [64]) else {
                    throw fail("\(at).\(field)", "is \(Self.quoted(value)); expected 64 lowercase hex digits")
                }
            }
            guard payload.compressedSize <= UInt64(Int64.max), payload.size <= UInt64(Int64.max) else {
                throw fail("\(at).size", "is larger than 2^63 - 1 bytes")
            }
            guard payload.size <= payload.role.maximumSize else {
                throw fail("\(at).size", "is \(payload.size); a \(payload.role) payload is at most \(payload.role.maximumSize) bytes")
            }
        }
    }

    static func isHex(_ text: String, lengths: Set<Int>) -> Bool {
        let bytes = Array(text.utf8)
        return lengths.contains(bytes.count)
            && bytes.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
    }
}
