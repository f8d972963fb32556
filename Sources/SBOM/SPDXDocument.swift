/// An SPDX 2.3 document in its JSON serialisation (the fields hostimg writes), Codable so the
/// encoder's sorted keys give the same bytes for the same values.
public struct SPDXDocument: Codable, Equatable, Sendable {
    public struct CreationInfo: Codable, Equatable, Sendable {
        public var created: String
        public var creators: [String]
    }

    public struct Checksum: Codable, Equatable, Sendable {
        public var algorithm: String
        public var checksumValue: String
    }

    public struct ExternalRef: Codable, Equatable, Sendable {
        public var referenceCategory: String
        public var referenceType: String
        public var referenceLocator: String
    }

    public struct VerificationCode: Codable, Equatable, Sendable {
        public var packageVerificationCodeValue: String
    }

    public struct Package: Codable, Equatable, Sendable {
        public var SPDXID: String
        public var name: String
        public var versionInfo: String?
        public var downloadLocation: String
        /// True only for a package whose every file the document lists (then with the
        /// verification code over them).
        public var filesAnalyzed: Bool
        public var packageVerificationCode: VerificationCode? = nil
        public var checksums: [Checksum]?
        public var licenseConcluded: String
        public var licenseDeclared: String
        public var licenseComments: String?
        public var copyrightText: String
        public var primaryPackagePurpose: String?
        public var externalRefs: [ExternalRef]?
        public var comment: String?
    }

    public struct File: Codable, Equatable, Sendable {
        public var SPDXID: String
        public var fileName: String
        public var checksums: [Checksum]
        public var licenseConcluded: String
        public var copyrightText: String
        public var comment: String?
    }

    public struct Relationship: Codable, Equatable, Sendable {
        public var spdxElementId: String
        public var relationshipType: String
        public var relatedSpdxElement: String
    }

    public struct ExtractedLicense: Codable, Equatable, Sendable {
        public var licenseId: String
        public var extractedText: String
        public var name: String
    }

    public var spdxVersion = "SPDX-2.3"
    public var dataLicense = "CC0-1.0"
    public var SPDXID = "SPDXRef-DOCUMENT"
    public var name: String
    public var documentNamespace: String
    public var creationInfo: CreationInfo
    public var documentDescribes: [String]
    public var packages: [Package]
    public var files: [File]
    public var relationships: [Relationship]
    /// The `LicenseRef-` identifiers the packages use, with their text.
    public var hasExtractedLicensingInfos: [ExtractedLicense]?
}
