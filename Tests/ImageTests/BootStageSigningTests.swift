import Crypto
import Foundation
import BuildPipeline
import Manifests
import Testing
import TestSupport

/// Two-phase signing and the initrd: `hostimg sign` adds the certificate the init checks the
/// root-hash signature with, giving the bytes a one-step signed build gives.
extension BootStageTests {
    func artifacts(in output: String) throws -> (image: String, bundle: String) {
        let names = try FileManager.default.contentsOfDirectory(atPath: output)
        let image = try #require(names.first { $0.hasSuffix(".img") && $0 != "initrd.img" })
        let bundle = try #require(names.first { $0.hasSuffix(".bundle") })
        return (output + "/" + image, output + "/" + bundle)
    }

    @Test func signingLaterGivesTheSignedBuildsInitrdAndBundle() async throws {
        let identity = ImageFixture.identity.0
        let (_, signed) = try await build("one-step", signed: true)
        let (_, later) = try await build("two-phase", signed: false)
        #expect(try Self.read(signed + "/initrd.img") != Self.read(later + "/initrd.img"), "unsigned: no certificate yet")
        let (signedImage, signedBundle) = try artifacts(in: signed)
        let (image, bundle) = try artifacts(in: later)

        // The directory, as `hostimg sign DIR` signs it: initrd.img is not a disk image.
        let outcomes = try ArtifactSigner.signDirectory(later, identity: identity, force: false)
        let uki = later + "/" + (try #require(FileManager.default.contentsOfDirectory(atPath: later).first { $0.hasSuffix(".efi") }))
        #expect(outcomes.map(\.path) == [image, image, later + "/initrd.img", uki, bundle], "\(outcomes.map(\.action))")
        #expect(outcomes[1].action == "added the certificate to the ESP's UKIs", "\(outcomes[1].action)")
        #expect(outcomes[2].action.contains("added the certificate"), "\(outcomes[2].action)")
        #expect(try Self.read(signed + "/" + (uki as NSString).lastPathComponent) == Self.read(uki))

        #expect(try Self.read(signed + "/initrd.img") == Self.read(later + "/initrd.img"))
        #expect(FileManager.default.contentsEqual(atPath: signedImage, andPath: image))
        #expect(FileManager.default.contentsEqual(atPath: signedBundle, andPath: bundle))

        // Again: nothing to add.
        #expect(try ArtifactSigner.signInitrd(later + "/initrd.img", identity: identity).action.contains("already carries"))
    }

    @Test func aFileThatIsNoInitrdIsRefusedByName() async throws {
        let (_, output) = try await build("garbage", signed: false)
        let path = output + "/initrd.img"
        try Data("not an archive at all".utf8).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: BuildError.self) { try ArtifactSigner.signInitrd(path, identity: ImageFixture.identity.0) }
        #expect("\(error)".contains(path), "\(error)")
        #expect(try Self.read(path) == Array("not an archive at all".utf8), "left as it was")
    }
}
