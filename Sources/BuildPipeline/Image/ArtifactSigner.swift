import Bundle
import ByteCodec
import DMVerity
import Foundation
import GPT
import Manifests
import Slots
import SystemIO

/// `hostimg sign`: the second phase of two-phase signing. An image built with `--unsigned`
/// gets its verity-sig partition written (and typed as one), its initrd the certificate its
/// init checks the signature with, and its bundle re-signed, giving the same bytes a one-step
/// signed build gives (RSA signatures are deterministic; ECDSA ones are not).
///
/// `sign` trusts only bytes it has hashed in the same run: an image slot's root hash is
/// checked through its verity tree against the root partition and must be the one its
/// PARTUUIDs carry; a bundle's root hash is checked through its verity payload against its
/// root payload and must be the one its manifest names. Anything else is refused, naming
/// both hashes.
///
/// Every output is written under a temporary name (`StagedOutputs`) and renamed into place
/// only when all of them were written: a refusal or a failure leaves the previous files as
/// they were and no temporary file behind.
public enum ArtifactSigner {
    public struct Outcome: Sendable, Codable {
        public var path: String
        public var rootHash: String
        public var action: String
    }

    /// Signs every filled slot of a disk image.
    public static func signImage(_ path: String, identity: SigningIdentity, force: Bool) throws -> [Outcome] {
        try staged { outputs in try stageImage(path, identity: identity, force: force, outputs: outputs) }
    }

    /// Signs a bundle: its verity-sig payload, its initrd's certificate and its manifest.
    public static func signBundle(_ path: String, identity: SigningIdentity, force: Bool) throws -> Outcome {
        try staged { outputs in try stageBundle(path, identity: identity, force: force, outputs: outputs) }
    }

    /// A build output directory: its disk images, then its initrd, then its bundles (so a
    /// bundle's initrd payload and `initrd.img` get the same bytes), then report.json, all
    /// renamed into place together. A bundle must carry the root hash of a slot of the
    /// directory's image: two files of one build.
    public static func signDirectory(_ directory: String, identity: SigningIdentity, force: Bool) throws -> [Outcome] {
        let names = try SystemIO.list(directory).filter { !$0.hasPrefix(".") }
        let images = names.filter { $0.hasSuffix(".img") && $0 != BootFiles.initrdName }
        let bundles = names.filter { $0.hasSuffix(".bundle") }
        guard !images.isEmpty || !bundles.isEmpty else {
            throw ImageError.input("\(directory) holds no .img or .bundle to sign; give a build output directory (hostimg build -o DIR)")
        }
        return try staged { outputs in
            var outcomes: [Outcome] = []
            for image in images {
                outcomes += try stageImage(directory + "/" + image, identity: identity, force: force, outputs: outputs)
            }
            let imageHashes = outcomes.map(\.rootHash)
            if names.contains(BootFiles.initrdName) {
                outcomes.append(try stageInitrd(directory + "/" + BootFiles.initrdName, identity: identity, outputs: outputs))
            }
            let secureBoot = images.isEmpty ? nil : try images.contains { try secureBootMarked(image: directory + "/" + $0) }
            outcomes += try stageBootFiles(directory, names: names, identity: identity, secureBoot: secureBoot ?? false, outputs: outputs)
            for bundle in bundles {
                let outcome = try stageBundle(directory + "/" + bundle, identity: identity, force: force, outputs: outputs,
                                              secureBoot: secureBoot)
                if !images.isEmpty, !imageHashes.contains(outcome.rootHash) {
                    throw ImageError.input("\(directory)/\(bundle) carries root hash \(outcome.rootHash), which no slot of \(images.joined(separator: ", ")) carries (\(imageHashes.joined(separator: ", "))): they are not from one build; rebuild, or sign each file on its own (hostimg sign FILE)")
                }
                outcomes.append(outcome)
            }
            try stageReport(directory + "/report.json", identity: identity, outputs: outputs)
            return outcomes
        }
    }

    /// The build output's `initrd.img` with the certificate added, as a signed build writes
    /// it (the bundle's initrd payload gets the same bytes in `signBundle`).
    public static func signInitrd(_ path: String, identity: SigningIdentity) throws -> Outcome {
        try staged { outputs in try stageInitrd(path, identity: identity, outputs: outputs) }
    }

    /// After signing, the report in the same directory says who signed.
    public static func updateReport(_ reportPath: String, identity: SigningIdentity) throws {
        try staged { outputs in try stageReport(reportPath, identity: identity, outputs: outputs) }
    }

    /// `body`'s outputs renamed into place when it returns, removed when it throws.
    static func staged<T>(_ body: (StagedOutputs) throws -> T) throws -> T {
        let outputs = StagedOutputs()
        defer { outputs.discard() }
        let result = try body(outputs)
        try outputs.commit()
        return result
    }

    /// The largest initrd `sign` reads into memory to add the certificate.
    static let maximumInitrdSize = 1 << 30

    static func stageInitrd(_ path: String, identity: SigningIdentity, outputs: StagedOutputs) throws -> Outcome {
        let data: [UInt8]
        do {
            let size = try SystemIO.status(of: path).size
            guard size <= UInt64(maximumInitrdSize) else {
                throw ImageError.input("\(path) has \(Size.describe(size)), more than an initrd hostimg writes (at most \(Size.describe(UInt64(maximumInitrdSize)))); give the build's initrd.img")
            }
            data = try SystemIO.readFile(path, limit: maximumInitrdSize)
        } catch let error as SystemIOError {
            throw ImageError.input("cannot read the initrd \(path): \(error.reason)")
        }
        let certified = try BootStage.certify(initrd: data, name: path, certificate: identity.certificate)
        let changed = certified != data
        if changed { try outputs.write(path, bytes: certified) }
        return Outcome(path: path, rootHash: "",
                       action: changed ? "added the certificate to the initrd (its init now checks the root hash signature)" : "the initrd already carries this certificate")
    }

    /// report.json says who signed, how big the (staged) initrd is, and the verity-sig
    /// partitions' real type; a directory without one is fine.
    static func stageReport(_ reportPath: String, identity: SigningIdentity, outputs: StagedOutputs) throws {
        guard SystemIO.exists(reportPath) else { return }
        let bytes: [UInt8]
        var report: BuildReport
        do {
            bytes = try SystemIO.readFile(reportPath)
            report = try JSONDecoder().decode(BuildReport.self, from: Data(bytes))
        } catch {
            throw ImageError.input("\(reportPath) is not a report.json hostimg wrote (\(error)); remove it or rebuild")
        }
        if var boot = report.boot {
            boot.verifiesSignature = true
            let initrd = outputs.current(SystemIO.directory(of: reportPath) + "/" + BootFiles.initrdName)
            let size = fileSize(initrd)
            if size > 0 { boot.initrdBytes = size }
            report.boot = boot
        }
        report.disk?.signing = BuildReport.Image.Signing(
            signed: true, subject: identity.certificate.subject,
            certificateFingerprint: identity.certificate.sha256Fingerprint,
            developmentKey: identity.isDevelopment, source: identity.source)
        report.disk?.markSigned()
        try outputs.write(reportPath, bytes: try Pipeline.encodeJSON(report, for: reportPath))
    }
}
