import Testing
import TestSupport

@testable import Bundle

/// The manifest's slot facts (`commandLine`, `qemuVersion`): optional, in their place in the
/// canonical order, checked like every other field, and kept through `resign`.
@Suite struct ManifestSlotFactsTests {
    static var manifest: UpdateBundle.Manifest {
        var manifest = ManifestParserTests.manifest
        manifest.commandLine = "console=ttyS0 roothash=\(ManifestParserTests.hex64) memmap=1G!4G"
        manifest.qemuVersion = "1:7.2+dfsg-7+deb12u18"
        return manifest
    }

    @Test func theFactsRoundTripInTheirPlace() throws {
        let bytes = Self.manifest.encoded()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\"rootHash\":\"\(ManifestParserTests.hex64)\",\"commandLine\":\"console=ttyS0"))
        #expect(text.contains("\"qemuVersion\":\"1:7.2+dfsg-7+deb12u18\",\"signedBy\":"))
        #expect(try UpdateBundle.Manifest.decode(bytes) == Self.manifest)
        var commandLineOnly = Self.manifest
        commandLineOnly.qemuVersion = nil
        #expect(try UpdateBundle.Manifest.decode(commandLineOnly.encoded()) == commandLineOnly)
    }

    @Test func badFactsAreRefusedNamingTheField() {
        func refused(_ change: (inout UpdateBundle.Manifest) -> Void, _ field: String) {
            var manifest = Self.manifest
            change(&manifest)
            do {
                _ = try UpdateBundle.Manifest.decode(manifest.encoded())
                Issue.record("accepted \(field)")
            } catch BundleError.invalidManifest(let named, _) {
                #expect(named == field)
            } catch {
                Issue.record("\(error)")
            }
        }
        refused({ $0.commandLine = "root=x\nevil" }, "commandLine")
        refused({ $0.commandLine = "" }, "commandLine")
        refused({ $0.commandLine = String(repeating: "a", count: 4097) }, "commandLine")
        refused({ $0.qemuVersion = "7.2 beta" }, "qemuVersion")
        refused({ $0.qemuVersion = "" }, "qemuVersion")
        // A null is not the canonical form of an absent fact.
        let text = String(decoding: Self.manifest.encoded(), as: UTF8.self)
            .replacingOccurrences(of: "\"qemuVersion\":\"1:7.2+dfsg-7+deb12u18\"", with: "\"qemuVersion\":null")
        #expect(throws: BundleError.self) { try UpdateBundle.Manifest.decode(Array(text.utf8)) }
    }

    @Test func aCommandLineIsKeptWithoutItsTrailingNewlineAndNULs() {
        #expect(UpdateBundle.Manifest.trimmedCommandLine("roothash=ab quiet\n\0\0") == "roothash=ab quiet")
        #expect(UpdateBundle.Manifest.trimmedCommandLine("roothash=ab  ") == "roothash=ab")
    }
}
