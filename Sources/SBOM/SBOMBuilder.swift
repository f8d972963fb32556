import Crypto
import Foundation

/// What an image's SBOM describes, gathered by the build: the locked Debian packages with
/// their declared licenses, the kernel and the modules the driver pruning kept, the files the
/// overlays added, and the image itself.
public struct SBOMInput: Sendable {
    public struct Package: Sendable {
        public var name: String
        public var version: String
        public var architecture: String
        /// Where the .deb came from: the repository's base URL and the pool path.
        public var downloadLocation: String
        /// SHA-256 of the .deb, lowercase hex (the lock's).
        public var sha256: String
        public var license: DebianCopyright.Declared?
        /// Why the resolver took it (the lock's Selected-By).
        public var selectedBy: String

        public init(name: String, version: String, architecture: String, downloadLocation: String, sha256: String,
                    license: DebianCopyright.Declared?, selectedBy: String) {
            self.name = name
            self.version = version
            self.architecture = architecture
            self.downloadLocation = downloadLocation
            self.sha256 = sha256
            self.license = license
            self.selectedBy = selectedBy
        }
    }

    /// A file of the image with its checksums (SPDX 2.3 asks for SHA-1 beside SHA-256).
    public struct File: Sendable {
        public var path: String
        public var sha1: String
        public var sha256: String
        public var comment: String?

        public init(path: String, sha1: String, sha256: String, comment: String? = nil) {
            self.path = path
            self.sha1 = sha1
            self.sha256 = sha256
            self.comment = comment
        }
    }

    public struct Kernel: Sendable {
        /// The kernel release (`uname -r`).
        public var release: String
        /// The Debian package that ships it.
        public var package: String?
        public var modules: [File]

        public init(release: String, package: String?, modules: [File]) {
            self.release = release
            self.package = package
            self.modules = modules
        }
    }

    public var name: String
    public var version: String
    /// The dm-verity root hash of the image's root file system (nil for a tar build).
    public var rootHash: String?
    public var sourceDateEpoch: Int64
    /// SHA-256 of the lock file's bytes (nil without a lock).
    public var lockDigest: String?
    public var toolVersion: String
    public var packages: [Package]
    public var kernel: Kernel?
    public var overlayFiles: [File]

    public init(name: String, version: String, rootHash: String?, sourceDateEpoch: Int64, lockDigest: String?,
                toolVersion: String, packages: [Package], kernel: Kernel?, overlayFiles: [File]) {
        self.name = name
        self.version = version
        self.rootHash = rootHash
        self.sourceDateEpoch = sourceDateEpoch
        self.lockDigest = lockDigest
        self.toolVersion = toolVersion
        self.packages = packages
        self.kernel = kernel
        self.overlayFiles = overlayFiles
    }
}

/// The SPDX 2.3 document of an image, deterministic: its namespace comes from the lock (or the
/// root hash) and its creation time from SOURCE_DATE_EPOCH; packages, files and relationships
/// are sorted; the JSON has sorted keys.
public enum SBOMBuilder {
    public static let imageID = "SPDXRef-Image"
    public static let kernelID = "SPDXRef-Kernel"
    public static let overlaysID = "SPDXRef-Overlays"

    public static func document(_ input: SBOMInput) throws -> SPDXDocument {
        var ids = SPDXIdentifiers()
        let packages = input.packages.sorted { $0.name < $1.name }
        var spdxPackages = [imagePackage(input)]
        var relationships = [SPDXDocument.Relationship(spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES",
                                                       relatedSpdxElement: imageID)]
        var packageIDs: [String: String] = [:]
        for package in packages {
            let id = ids.make("deb-" + package.name)
            packageIDs[package.name] = id
            spdxPackages.append(debianPackage(package, id: id))
            relationships.append(.init(spdxElementId: imageID, relationshipType: "CONTAINS", relatedSpdxElement: id))
        }
        var files: [SPDXDocument.File] = []
        if let kernel = input.kernel {
            spdxPackages.append(try kernelPackage(kernel))
            relationships.append(.init(spdxElementId: imageID, relationshipType: "CONTAINS", relatedSpdxElement: kernelID))
            if let package = kernel.package, let id = packageIDs[package] {
                relationships.append(.init(spdxElementId: id, relationshipType: "CONTAINS", relatedSpdxElement: kernelID))
            }
            for module in kernel.modules.sorted(by: { $0.path < $1.path }) {
                let id = ids.make("module-" + (module.path.split(separator: "/").last.map(String.init) ?? ""))
                files.append(file(module, id: id))
                relationships.append(.init(spdxElementId: kernelID, relationshipType: "CONTAINS", relatedSpdxElement: id))
            }
        }
        if !input.overlayFiles.isEmpty {
            spdxPackages.append(try overlaysPackage(input))
            relationships.append(.init(spdxElementId: imageID, relationshipType: "CONTAINS", relatedSpdxElement: overlaysID))
        }
        for overlay in input.overlayFiles.sorted(by: { $0.path < $1.path }) {
            let id = ids.make("overlay" + overlay.path.replacingOccurrences(of: "/", with: "-"))
            files.append(file(overlay, id: id))
            relationships.append(.init(spdxElementId: overlaysID, relationshipType: "CONTAINS", relatedSpdxElement: id))
        }
        var references: [String: String] = [:]
        for package in packages {
            for (id, text) in package.license?.references ?? [:] where references[id] == nil { references[id] = text }
        }
        let identity = input.lockDigest ?? input.rootHash ?? "unlocked"
        return SPDXDocument(
            name: "\(input.name) \(input.version)",
            documentNamespace: "https://hostimg.invalid/spdx/\(percentEncoded(input.name))/\(percentEncoded(input.version))/\(identity)",
            creationInfo: .init(created: timestamp(input.sourceDateEpoch), creators: ["Tool: hostimg-\(input.toolVersion)"]),
            documentDescribes: [imageID], packages: spdxPackages, files: files, relationships: relationships,
            hasExtractedLicensingInfos: references.isEmpty ? nil : references.keys.sorted().map { id in
                SPDXDocument.ExtractedLicense(licenseId: id, extractedText: references[id] ?? "",
                                              name: String(id.dropFirst("LicenseRef-".count)))
            })
    }

    /// The document's bytes: pretty-printed JSON with sorted keys and a final newline.
    public static func encoded(_ document: SPDXDocument) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(document)) + [0x0A]
    }

    static func imagePackage(_ input: SBOMInput) -> SPDXDocument.Package {
        SPDXDocument.Package(
            SPDXID: imageID, name: input.name, versionInfo: input.version, downloadLocation: "NOASSERTION", filesAnalyzed: false,
            checksums: nil, licenseConcluded: "NOASSERTION", licenseDeclared: "NOASSERTION", licenseComments: nil,
            copyrightText: "NOASSERTION", primaryPackagePurpose: "OPERATING-SYSTEM", externalRefs: nil,
            comment: input.rootHash.map { "dm-verity root hash of the root file system: \($0); built by hostimg from a locked package set" }
                ?? "a root file system tree built by hostimg")
    }

    static func debianPackage(_ package: SBOMInput.Package, id: String) -> SPDXDocument.Package {
        let purl = "pkg:deb/debian/\(percentEncoded(package.name))@\(percentEncoded(package.version))?arch=\(percentEncoded(package.architecture))"
        return SPDXDocument.Package(
            SPDXID: id, name: package.name, versionInfo: package.version, downloadLocation: package.downloadLocation,
            filesAnalyzed: false, checksums: [.init(algorithm: "SHA256", checksumValue: package.sha256)],
            licenseConcluded: "NOASSERTION", licenseDeclared: package.license?.expression ?? "NOASSERTION",
            licenseComments: package.license?.comment ?? "no copyright file in the package",
            copyrightText: "NOASSERTION", primaryPackagePurpose: nil,
            externalRefs: [.init(referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: purl)],
            comment: package.selectedBy.isEmpty ? nil : "selected by: \(package.selectedBy)")
    }

    /// The kernel as a package of its kept modules (the files it contains, all listed).
    static func kernelPackage(_ kernel: SBOMInput.Kernel) throws -> SPDXDocument.Package {
        SPDXDocument.Package(
            SPDXID: kernelID, name: "linux", versionInfo: kernel.release, downloadLocation: "NOASSERTION", filesAnalyzed: true,
            packageVerificationCode: .init(packageVerificationCodeValue: try verificationCode(kernel.modules)), checksums: nil, licenseConcluded: "NOASSERTION", licenseDeclared: "GPL-2.0-only", licenseComments: nil,
            copyrightText: "NOASSERTION", primaryPackagePurpose: "OPERATING-SYSTEM", externalRefs: nil,
            comment: "the kernel\(kernel.package.map { " of \($0)" } ?? ""), with the \(kernel.modules.count) module(s) the driver pruning kept")
    }

    /// The files the manifest's overlays put into the image, as one package listing them all.
    static func overlaysPackage(_ input: SBOMInput) throws -> SPDXDocument.Package {
        SPDXDocument.Package(
            SPDXID: overlaysID, name: "\(input.name)-overlays", versionInfo: input.version, downloadLocation: "NOASSERTION",
            filesAnalyzed: true, packageVerificationCode: .init(packageVerificationCodeValue: try verificationCode(input.overlayFiles)),
            checksums: nil, licenseConcluded: "NOASSERTION", licenseDeclared: "NOASSERTION", licenseComments: nil,
            copyrightText: "NOASSERTION", primaryPackagePurpose: "FILE", externalRefs: nil,
            comment: "the files the manifest's overlays add to the image")
    }

    /// SPDX's package verification code: SHA-1 over the files' sorted SHA-1s (hex) concatenated.
    static func verificationCode(_ files: [SBOMInput.File]) throws -> String {
        try SHA1.hexDigest(Array(files.map(\.sha1).sorted().joined().utf8))
    }

    static func file(_ file: SBOMInput.File, id: String) -> SPDXDocument.File {
        SPDXDocument.File(SPDXID: id, fileName: "." + file.path,
                          checksums: [.init(algorithm: "SHA1", checksumValue: file.sha1), .init(algorithm: "SHA256", checksumValue: file.sha256)],
                          licenseConcluded: "NOASSERTION", copyrightText: "NOASSERTION", comment: file.comment)
    }

    /// ISO 8601 in UTC, to the second.
    static func timestamp(_ epoch: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(epoch)))
    }

    /// RFC 3986 unreserved characters: all that purls and the namespace keep unencoded.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// RFC 3986 percent-encoding of everything but unreserved characters (purl, namespace).
    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}

/// SPDX identifiers (`SPDXRef-` and letters, digits, `.` and `-`), unique within a document.
struct SPDXIdentifiers {
    private var used = Set<String>()

    /// `text` with every character an SPDX identifier may not hold replaced by `-`.
    static func cleaned(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") ? $0 : "-" })
    }

    mutating func make(_ base: String) -> String {
        let cleaned = Self.cleaned(base)
        var id = "SPDXRef-" + cleaned
        var counter = 2
        while used.contains(id) {
            id = "SPDXRef-\(cleaned)-\(counter)"
            counter += 1
        }
        used.insert(id)
        return id
    }
}
