import Crypto
import Foundation

/// A DSSE envelope (Dead Simple Signing Envelope, v1): the payload and its type, signed over
/// the pre-authentication encoding `PAE(type, payload)`, each signature naming its key. In JSON:
/// `{"payload": base64, "payloadType": …, "signatures": [{"keyid": …, "sig": base64}]}`.
public struct DSSEEnvelope: Codable, Equatable, Sendable {
    public struct Signature: Codable, Equatable, Sendable {
        public var keyid: String
        public var sig: String
    }

    public var payloadType: String
    /// The payload, base64 (standard alphabet, padded).
    public var payload: String
    public var signatures: [Signature]

    /// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal.
    public static func pae(type: String, body: [UInt8]) -> [UInt8] {
        Array("DSSEv1 \(type.utf8.count) \(type) \(body.count) ".utf8) + body
    }

    /// `payload` of `type` signed with `key`; the signature's key id is the certificate's
    /// SHA-256 fingerprint.
    public static func sign(_ payload: [UInt8], type: String, key: PrivateKey, certificate: Certificate) throws -> DSSEEnvelope {
        let signature = try key.signSHA256(pae(type: type, body: payload))
        return DSSEEnvelope(payloadType: type, payload: Data(payload).base64EncodedString(),
                            signatures: [Signature(keyid: certificate.sha256Fingerprint, sig: Data(signature).base64EncodedString())])
    }

    /// The payload once a signature by `certificate`'s key checks out; throws naming what failed.
    public func verifiedPayload(trusting certificate: Certificate) throws -> [UInt8] {
        guard let body = Data(base64Encoded: payload) else { throw ProvenanceError("the envelope's payload is not base64") }
        guard !signatures.isEmpty else { throw ProvenanceError("the envelope carries no signature") }
        var problems: [String] = []
        for signature in signatures {
            guard let bytes = Data(base64Encoded: signature.sig) else {
                problems.append("signature \(signature.keyid): not base64")
                continue
            }
            do {
                try certificate.verifySHA256(signature: [UInt8](bytes), data: Self.pae(type: payloadType, body: [UInt8](body)))
                return [UInt8](body)
            } catch {
                problems.append("signature \(signature.keyid): \(error)")
            }
        }
        throw ProvenanceError("no signature of the envelope is \(certificate.subject)'s: \(problems.joined(separator: "; "))")
    }

    /// Pretty-printed JSON with sorted keys and a final newline.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [0x0A]
    }
}

/// A provenance that cannot be made or does not verify, in one sentence.
public struct ProvenanceError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
