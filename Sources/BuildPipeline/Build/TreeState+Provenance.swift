import Foundation
import Provenance

/// `NAME.provenance.json`: the SLSA provenance of an image build, in a DSSE envelope signed
/// with the image key. Its subjects are the staged outputs a host or an auditor takes (the
/// disk image, the bundle, the UKIs, the SBOM) by SHA-256, hashed from the staged files just
/// before they are renamed into place.
extension TreeState {
    static func isProvenanceSubject(_ name: String) -> Bool {
        (name.hasSuffix(".img") && name != "initrd.img") || name.hasSuffix(".bundle") || name.hasSuffix(".efi")
            || name.hasSuffix(".spdx.json")
    }

    func provenanceBytes(signer: SigningIdentity) throws -> [UInt8] {
        var subjects: [ProvenanceStatement.Subject] = []
        for output in outputs.outputs {
            let name = (output.final as NSString).lastPathComponent
            guard Self.isProvenanceSubject(name) else { continue }
            subjects.append(ProvenanceStatement.Subject(name: name, sha256: try FileDigest.sha256(output.temporary)))
        }
        var inputs: [(name: String, path: String, sha256: String)] = [
            ("manifest", manifest.file, try FileDigest.sha256(manifest.file)),
        ]
        if let lockPath { inputs.append(("lock", lockPath, try FileDigest.sha256(lockPath))) }
        var external = ["manifest": manifest.file, "target": options.target.rawValue, "name": name]
        if let version = manifest.image.version?.value { external["version"] = version }
        var buildValues = ["sourceDateEpoch": String(report.sourceDateEpoch)]
        if let rootHash = report.disk?.rootHash { buildValues["rootHash"] = rootHash }
        let statement = ProvenanceStatement(subjects: subjects, inputs: inputs, externalParameters: external, internalParameters: buildValues,
                                            builderVersion: HostImgRelease.version)
        return try DSSEEnvelope.sign(try statement.encoded(), type: ProvenanceStatement.payloadType, key: signer.key,
                                     certificate: signer.certificate).encoded()
    }
}
