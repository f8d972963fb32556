import Foundation
@testable import Repository
import Testing

@Suite struct ReleaseFileTests {
    static let text = """
        Origin: Debian
        Suite: stable
        Codename: bookworm
        Date: Sat, 10 Jun 2023 08:52:41 UTC
        Valid-Until: Sat, 17 Jun 2023 08:52:41 UTC
        Architectures: all amd64 arm64
        Components: main contrib
        No-Support-for-Architecture-all: Packages
        MD5Sum:
         0ed6d4c8891eb86358b94bb35d9e4da4  1484322 contrib/Contents-all
        SHA256:
         3957f28db16e3f28c7b34ae84f1c929c567de6970f3f1b95dac9b498dd80fe63   738242 contrib/Contents-all
         e1a7fc8a4b0ba2b4b2d6d6fd3d5c7e0b3e8d9a6f7c1e5b2d4a3f6e8c9b0a1d2e 8786092 main/binary-amd64/Packages.xz
         aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 45567188 main/binary-amd64/Packages
         bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 100 contrib/binary-amd64/Packages.gz

        """

    @Test func parsesFields() throws {
        let release = try ReleaseFile(Array(Self.text.utf8), url: "test")
        #expect(release.suite == "stable")
        #expect(release.codename == "bookworm")
        #expect(release.architectures == ["all", "amd64", "arm64"])
        #expect(release.components == ["main", "contrib"])
        #expect(release.noSupportForArchitectureAll)
        #expect(!release.needsBinaryAll)
        #expect(release.date == Date(timeIntervalSince1970: 1_686_387_161))
        #expect(release.sha256.count == 4)
        let main = release.packagesIndex(component: "main", architecture: "amd64")
        #expect(main?.download.path == "main/binary-amd64/Packages.xz")
        #expect(main?.download.size == 8_786_092)
        #expect(main?.uncompressed?.size == 45_567_188)
        #expect(release.packagesIndex(component: "contrib", architecture: "amd64")?.download.path
                == "contrib/binary-amd64/Packages.gz")
        #expect(release.packagesIndex(component: "contrib", architecture: "amd64")?.uncompressed == nil)
        #expect(release.packagesIndex(component: "main", architecture: "arm64") == nil)
    }

    @Test func validUntil() throws {
        let release = try ReleaseFile(Array(Self.text.utf8), url: "http://x/dists/stable/InRelease")
        try release.checkValidity(now: Date(timeIntervalSince1970: 1_686_387_161), url: "u")
        #expect {
            try release.checkValidity(now: Date(timeIntervalSince1970: 1_700_000_000),
                                      url: "http://x/dists/stable/InRelease")
        } throws: { error in
            "\(error)".contains("http://x/dists/stable/InRelease expired at Sat, 17 Jun 2023 08:52:41 UTC")
        }
    }

    @Test func binaryAllNeededWithoutTheField() throws {
        let text = Self.text.replacingOccurrences(of: "No-Support-for-Architecture-all: Packages\n", with: "")
        #expect(try ReleaseFile(Array(text.utf8), url: "t").needsBinaryAll)
    }

    @Test func refusesMissingOrMalformedHashes() {
        #expect(throws: RepositoryError.self) {
            try ReleaseFile(Array("Suite: x\nMD5Sum:\n 00 1 a\n".utf8), url: "t")
        }
        #expect(throws: RepositoryError.self) {
            try ReleaseFile(Array("Suite: x\nSHA256:\n zz 1 a\n".utf8), url: "t")
        }
        #expect(throws: RepositoryError.self) {
            try ReleaseFile(Array("Suite: x\nDate: yesterday\nSHA256:\n".utf8), url: "t")
        }
    }
}
