import ArgumentParser
import Crypto
import BuildPipeline
import Manifests

extension HostImg {
    /// `hostimg keygen`: a development key pair for signing images locally.
    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a development signing key and self-signed certificate.",
            discussion: """
                Writes DIR/key.pem (PKCS#8, mode 0600) and DIR/cert.pem. The certificate's \
                subject carries "\(SigningIdentity.developmentCommonName)", so every build \
                and verify that uses it warns that the image must not reach a fleet. Release \
                keys come from your PKI; point the manifest's `signing` at them.

                rsa-2048 (the default) gives reproducible signatures: two builds sign the \
                same root hash with the same bytes. ec-p256 signatures are randomised.
                """
        )

        @Option(name: [.short, .long], help: ArgumentHelp("Directory for key.pem and cert.pem.", valueName: "dir"),
                completion: .directory)
        var out: String = "keys"

        @Option(help: ArgumentHelp("Key type: rsa-2048 or ec-p256.", valueName: "type"))
        var type: DevelopmentIdentity.KeyType = .rsa2048

        @Option(help: ArgumentHelp("Added to the certificate's common name, e.g. a team or image name.", valueName: "text"))
        var name: String?

        @Option(help: ArgumentHelp("Validity in days.", valueName: "days"))
        var days: Int = 3650

        @Flag(help: "Replace existing key.pem and cert.pem.")
        var force = false

        func run() async throws {
            let console = Console.current
            let commonName = name.map { "\(SigningIdentity.developmentCommonName) (\($0))" } ?? SigningIdentity.developmentCommonName
            do {
                let identity = try DevelopmentIdentity.generate(commonName: commonName, validityDays: days, keyType: type)
                try KeyFiles.write(identity, directory: out, force: force)
                let certificate = try Certificate(pem: identity.certificatePEM)
                console.write("key: \(out)/key.pem\ncertificate: \(out)/cert.pem\nfingerprint: \(certificate.sha256Fingerprint)\n")
                console.error("warning: this is a DEVELOPMENT key: images signed with it say so")
            } catch {
                console.error("hostimg: error: \(error)")
                throw ExitCode.usage
            }
        }
    }
}

extension DevelopmentIdentity.KeyType: ExpressibleByArgument {}
