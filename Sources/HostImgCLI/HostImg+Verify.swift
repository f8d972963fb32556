import ArgumentParser
import Crypto
import Foundation
import BuildPipeline
import Manifests
import Provenance

extension HostImg {
    /// `hostimg verify IMAGE|BUNDLE`: check an artefact as a host would.
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a disk image or an update bundle the way a host would.",
            discussion: """
                For a disk image: the GPT (both headers, CRCs, no overlapping partitions), the \
                slot layout (two slots, each root, verity and verity-sig adjacent and in order, \
                one geometry, one label per slot), then for each filled slot the verity \
                superblock against its partitions, the dm-verity tree against the root hash its \
                PARTUUIDs carry (every data and hash block is read), the EROFS superblock, and \
                the verity signature. An image with no filled slot fails. For an update \
                bundle: the archive (the members the manifest lists, the end-of-archive marker, \
                nothing after it), the manifest signature (as a host does, nothing else is \
                trusted if it fails), the size and SHA-256 of every payload, the verity tree \
                against the root payload and the manifest's root hash, and the verity \
                signature it carries.

                Signatures are checked against --cert; without it they are reported as \
                unchecked (not failed). Nothing is mounted or written.

                With --provenance, the path is a build's NAME.provenance.json (or the build's \
                output directory holding one): the DSSE envelope's signature against --cert \
                (required: a provenance is not trusted unsigned), the in-toto statement, and \
                the SHA-256 of every subject (image, bundle, UKIs, SBOM) against the file of \
                that name beside the envelope.

                One line per part: 'ok', 'FAILED', 'skipped' or 'warning', the part, the \
                detail. Exit status 0 when nothing failed, 1 when a part failed (the line \
                names it), 2 when the file cannot be read or is neither an image nor a bundle.
                """
        )

        @Argument(
            help: ArgumentHelp("The disk image or update bundle to check.", valueName: "image-or-bundle"),
            completion: .file()
        )
        var path: String

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @Option(help: ArgumentHelp("Output format: text or json.", valueName: "format"))
        var format: ReportFormat = .text

        @Flag(help: "Check a build's signed provenance (NAME.provenance.json) and every subject it names.")
        var provenance = false

        func run() async throws {
            let console = Console.current
            let certificate = try trust.loadCertificate()
            if provenance { return try checkProvenance(certificate: certificate) }
            let report: VerificationReport
            do {
                report = try ArtifactVerifier.verify(path: path, certificate: certificate)
            } catch {
                console.error("hostimg: error: \(error)")
                throw ExitCode.usage
            }
            switch format {
            case .json:
                console.write(try JSONText.encode(report))
            case .text:
                for check in report.checks {
                    let status = check.status == .failed ? "FAILED" : check.status.rawValue
                    console.write("\(status.padding(toLength: 8, withPad: " ", startingAt: 0)) \(check.part): \(check.detail)\n")
                }
                let failed = report.checks.filter { $0.status == .failed }.map(\.part)
                console.error(failed.isEmpty ? "\(report.path): \(report.kind.rawValue) verified"
                                             : "\(report.path): FAILED: \(failed.joined(separator: ", "))")
            }
            if !report.passed { throw ExitCode.findings }
        }
    }
}

extension HostImg.Verify {
    func checkProvenance(certificate: Certificate?) throws {
        let console = Console.current
        guard let certificate else {
            console.error("hostimg: error: --provenance needs --cert: a provenance is only as good as the key that signed it")
            throw ExitCode.usage
        }
        var envelope = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            let found = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".provenance.json") }
            guard found.count == 1, let name = found.first else {
                console.error("hostimg: error: \(path) holds \(found.count) *.provenance.json files; name the one to check")
                throw ExitCode.usage
            }
            envelope = path + "/" + name
        }
        let results: [ProvenanceCheck.Result]
        do {
            results = try ProvenanceCheck.check(envelope: envelope, certificate: certificate)
        } catch {
            console.error("hostimg: error: \(error)")
            throw ExitCode.usage
        }
        switch format {
        case .json:
            console.write(try JSONText.encode(results))
        case .text:
            for result in results {
                console.write("\((result.passed ? "ok" : "FAILED").padding(toLength: 8, withPad: " ", startingAt: 0)) \(result.part): \(result.detail)\n")
            }
            let failed = results.filter { !$0.passed }.map(\.part)
            console.error(failed.isEmpty ? "\(envelope): provenance verified" : "\(envelope): FAILED: \(failed.joined(separator: ", "))")
        }
        if results.contains(where: { !$0.passed }) { throw ExitCode.findings }
    }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

enum JSONText {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}

extension TrustOptions {
    func loadCertificate() throws -> Certificate? {
        guard let cert else { return nil }
        do {
            return try Certificate(pemFile: cert)
        } catch {
            Console.current.error("hostimg: error: cannot read the certificate \(cert): \(error)")
            throw ExitCode.usage
        }
    }
}
