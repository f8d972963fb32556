import ArgumentParser
import Crypto
import Foundation
import BuildPipeline
import Manifests

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

        func run() async throws {
            let console = Console.current
            let certificate = try trust.loadCertificate()
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
