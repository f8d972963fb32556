import Foundation

/// An in-toto Statement v1 whose predicate is SLSA Provenance v1: the build's outputs
/// (subjects, by SHA-256) and how they were made (the manifest and lock by digest, the
/// parameters, the builder and its version). Deterministic: no wall-clock time, only
/// SOURCE_DATE_EPOCH.
public struct ProvenanceStatement: Codable, Equatable, Sendable {
    public static let payloadType = "application/vnd.in-toto+json"
    public static let statementType = "https://in-toto.io/Statement/v1"
    public static let slsaProvenance = "https://slsa.dev/provenance/v1"
    public static let buildType = "https://hostimg.invalid/build/v1"
    public static let builderID = "https://hostimg.invalid/hostimg"

    public struct Subject: Codable, Equatable, Sendable {
        public var name: String
        public var digest: [String: String]
        public init(name: String, sha256: String) {
            self.name = name
            digest = ["sha256": sha256]
        }
    }

    public struct Dependency: Codable, Equatable, Sendable {
        public var uri: String
        public var digest: [String: String]
        public var name: String?
    }

    public struct BuildDefinition: Codable, Equatable, Sendable {
        public var buildType: String
        public var externalParameters: [String: String]
        public var internalParameters: [String: String]
        public var resolvedDependencies: [Dependency]
    }

    public struct Builder: Codable, Equatable, Sendable {
        public var id: String
        public var version: [String: String]
    }

    public struct RunDetails: Codable, Equatable, Sendable {
        public var builder: Builder
    }

    public struct Predicate: Codable, Equatable, Sendable {
        public var buildDefinition: BuildDefinition
        public var runDetails: RunDetails
    }

    public var _type = ProvenanceStatement.statementType
    public var subject: [Subject]
    public var predicateType = ProvenanceStatement.slsaProvenance
    public var predicate: Predicate

    /// - Parameters:
    ///   - inputs: the manifest and lock (and any file the build read) as (path, SHA-256).
    ///   - externalParameters: the parameters the caller chose (manifest path, target, ...).
    ///   - internalParameters: the build's own (SOURCE_DATE_EPOCH, root hash, ...).
    public init(subjects: [Subject], inputs: [(name: String, path: String, sha256: String)], externalParameters: [String: String],
                internalParameters: [String: String], builderVersion: String) {
        subject = subjects.sorted { $0.name < $1.name }
        predicate = Predicate(
            buildDefinition: BuildDefinition(
                buildType: Self.buildType, externalParameters: externalParameters, internalParameters: internalParameters,
                resolvedDependencies: inputs.map { Dependency(uri: "file:" + $0.path, digest: ["sha256": $0.sha256], name: $0.name) }),
            runDetails: RunDetails(builder: Builder(id: Self.builderID, version: ["hostimg": builderVersion])))
    }

    /// Compact JSON with sorted keys: the envelope's payload.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}
