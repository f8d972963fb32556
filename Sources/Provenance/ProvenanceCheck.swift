import ByteCodec
import Crypto
import Foundation

/// `hostimg verify --provenance`: the envelope's signature against the certificate, its
/// statement's type, and every subject's SHA-256 against the file of that name beside the
/// envelope. One result per part, a failure naming the subject.
public enum ProvenanceCheck {
    public struct Result: Codable, Equatable, Sendable {
        public var part: String
        public var passed: Bool
        public var detail: String
    }

    public static func check(envelope path: String, certificate: Certificate) throws -> [Result] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let envelope: DSSEEnvelope
        do {
            envelope = try JSONDecoder().decode(DSSEEnvelope.self, from: data)
        } catch {
            throw ProvenanceError("\(path) is not a DSSE envelope: \(error)")
        }
        var results: [Result] = []
        let payload: [UInt8]
        do {
            payload = try envelope.verifiedPayload(trusting: certificate)
            results.append(Result(part: "signature", passed: true, detail: "DSSE signature by \(certificate.subject)"))
        } catch {
            return [Result(part: "signature", passed: false, detail: "\(error)")]
        }
        guard envelope.payloadType == ProvenanceStatement.payloadType,
              let statement = try? JSONDecoder().decode(ProvenanceStatement.self, from: Data(payload)),
              statement._type == ProvenanceStatement.statementType, statement.predicateType == ProvenanceStatement.slsaProvenance
        else {
            return results + [Result(part: "statement", passed: false, detail: "not an in-toto Statement v1 with a SLSA provenance v1 predicate")]
        }
        results.append(Result(part: "statement", passed: true, detail: "\(statement.subject.count) subject(s), SLSA provenance v1"))
        let directory = (path as NSString).deletingLastPathComponent
        for subject in statement.subject {
            results.append(checkSubject(subject, in: directory.isEmpty ? "." : directory))
        }
        return results
    }

    static func checkSubject(_ subject: ProvenanceStatement.Subject, in directory: String) -> Result {
        let part = "subject \(subject.name)"
        guard !subject.name.contains("/"), subject.name != "..", let expected = subject.digest["sha256"] else {
            return Result(part: part, passed: false, detail: "not a file name beside the envelope with a sha256 digest")
        }
        let path = directory + "/" + subject.name
        do {
            let actual = try FileDigest.sha256(path)
            guard actual == expected else {
                return Result(part: part, passed: false, detail: "SHA-256 \(actual), the provenance says \(expected): the file changed")
            }
            return Result(part: part, passed: true, detail: "SHA-256 \(actual)")
        } catch {
            return Result(part: part, passed: false, detail: "cannot read \(path): \(error)")
        }
    }
}

/// SHA-256 of a file, read in 1 MiB chunks.
public enum FileDigest {
    public static func sha256(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ProvenanceError("cannot open \(path)") }
        defer { try? handle.close() }
        var hasher = try SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            try chunk.withUnsafeBytes { try hasher.update($0) }
        }
        return Hex.encode(try hasher.finalize())
    }
}
