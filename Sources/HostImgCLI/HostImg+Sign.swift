import ArgumentParser
import Foundation
import BuildPipeline
import Manifests

extension HostImg {
    /// `hostimg sign`: the second half of two-phase signing.
    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign an image and bundle built with --unsigned, without rebuilding.",
            discussion: """
                PATH is a build output directory (its NAME.img and NAME.bundle are signed, \
                and report.json records the signer), a disk image, or a bundle. Only a root \
                hash computed in this run is signed: for an image, each filled slot's verity \
                tree is checked against its root partition and must give the root hash its \
                PARTUUIDs carry; for a bundle, the verity payload's tree is checked against \
                the root payload and must give the root hash its manifest names. Anything else \
                is refused, naming both hashes. Then the verity-sig partition is written and \
                typed as one, the directory's initrd.img and the bundle's initrd get the \
                certificate (so the init checks the root hash signature at boot), and a bundle \
                gets its verity-sig payload and its manifest signature.

                Every output is written under a temporary name and renamed into place only \
                when all were written: a refusal or a failure changes nothing. With the same \
                RSA key, the result is byte-identical to a build signed in one step, except \
                for the trust store a signed build puts into an image's root (the certificate \
                the agent checks bundles against): sign cannot add it to a hashed root, so the \
                agent of an image signed here refuses every bundle (docs/agent.md). Something \
                already signed is refused unless --force.
                """
        )

        @Argument(help: ArgumentHelp("Build output directory, disk image or bundle.", valueName: "path"),
                  completion: .file())
        var path: String

        @Option(help: ArgumentHelp("Private key (PEM).", valueName: "file"), completion: .file())
        var key: String

        @Option(help: ArgumentHelp("Certificate (PEM) of the key.", valueName: "file"), completion: .file())
        var cert: String

        @Flag(help: "Replace existing signatures.")
        var force = false

        func run() async throws {
            let console = Console.current
            let identity: SigningIdentity
            do {
                identity = try SigningIdentity.load(keyFile: key, certificateFile: cert)
            } catch {
                console.error("hostimg: error: \(error)")
                throw ExitCode.usage
            }
            do {
                if identity.isDevelopment {
                    console.error("warning: signing with a DEVELOPMENT key (\(identity.certificate.subject))")
                }
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                    console.error("hostimg: error: no such file or directory: \(path)")
                    throw ExitCode.usage
                }
                let outcomes: [ArtifactSigner.Outcome]
                if isDirectory.boolValue {
                    outcomes = try ArtifactSigner.signDirectory(path, identity: identity, force: force)
                } else if try ArtifactVerifier.kind(of: path) == .image {
                    outcomes = try ArtifactSigner.signImage(path, identity: identity, force: force)
                } else {
                    outcomes = [try ArtifactSigner.signBundle(path, identity: identity, force: force)]
                }
                for outcome in outcomes {
                    console.write("\(outcome.action): \(outcome.path)" + (outcome.rootHash.isEmpty ? "" : " (root hash \(outcome.rootHash))") + "\n")
                }
            } catch let code as ExitCode {
                throw code
            } catch {
                console.error("hostimg: error: \(error)")
                throw ExitCode.findings
            }
        }
    }
}
