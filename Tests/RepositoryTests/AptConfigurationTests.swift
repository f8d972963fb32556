import Foundation
@testable import Repository
import Testing
import TestSupport

@Suite struct AptConfigurationTests {
    static let armoredKey = """
        -----BEGIN PGP PUBLIC KEY BLOCK-----

        mDMEZJ1aTBYJKwYBBAHaRw8BAQdAbm90IGEgcmVhbCBrZXkgYnV0IHZhbGlkIGJh
        =abcd
        -----END PGP PUBLIC KEY BLOCK-----
        """

    /// A fake /etc/apt with every form APT accepts, and files APT ignores.
    func fakeEtcApt() throws -> ScratchDirectory {
        let scratch = try ScratchDirectory()
        let apt = scratch.path("apt")
        let fm = FileManager.default
        try fm.createDirectory(atPath: apt + "/sources.list.d", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: apt + "/trusted.gpg.d", withIntermediateDirectories: true)
        try "key".write(toFile: apt + "/trusted.gpg.d/debian.gpg", atomically: true, encoding: .utf8)
        try """
            # the main archive
            deb http://deb.debian.org/debian bookworm main contrib   # trailing comment
            deb-src http://deb.debian.org/debian bookworm main

            deb [ arch=amd64,arm64 signed-by=/usr/share/keyrings/x.gpg ] https://example.org/apt stable main
            """.write(toFile: apt + "/sources.list", atomically: true, encoding: .utf8)
        try "deb [signed-by=/k/google.gpg] https://packages.cloud.google.com/apt cloud-sdk main\n"
            .write(toFile: apt + "/sources.list.d/google.list.disabled-by-farm", atomically: true, encoding: .utf8)
        try "deb [signed-by=/k/extra.gpg] http://mirror.example/debian trixie main\n"
            .write(toFile: apt + "/sources.list.d/extra.list", atomically: true, encoding: .utf8)
        let indentedKey = Self.armoredKey.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? " ." : " " + $0 }.joined(separator: "\n")
        try """
            Types: deb deb-src
            # a comment inside a stanza
            URIs: http://deb.debian.org/debian
            Suites: bookworm bookworm-updates
            Components: main non-free-firmware
            Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

            Types: deb
            URIs: https://inline.example/repo
            Suites: sid
            Components: main
            Architectures: amd64
            Signed-By:
            \(indentedKey)

            Types: deb
            URIs: http://disabled.example/debian
            Suites: bookworm
            Components: main
            Enabled: no

            Types: deb-src
            URIs: http://source-only.example/debian
            Suites: bookworm
            Components: main
            """.write(toFile: apt + "/sources.list.d/debian.sources", atomically: true, encoding: .utf8)
        try "Types: deb\nURIs: http://farm.example\nSuites: x\nComponents: main\n"
            .write(toFile: apt + "/sources.list.d/nodesource.sources.disabled-by-farm", atomically: true, encoding: .utf8)
        return scratch
    }

    @Test func readsOneLineAndDeb822Sources() throws {
        let scratch = try fakeEtcApt()
        let apt = scratch.path("apt")
        let sources = try AptConfiguration.sources(aptDirectory: apt)
        #expect(sources.map(\.origin) == [
            "http://deb.debian.org/debian bookworm",
            "https://example.org/apt stable",
            "http://deb.debian.org/debian bookworm",
            "http://deb.debian.org/debian bookworm-updates",
            "https://inline.example/repo sid",
            "http://mirror.example/debian trixie",
        ])
        // sources.list: no Signed-By → the default keyrings; options in brackets.
        #expect(sources[0].components == ["main", "contrib"])
        #expect(sources[0].keyring == .files([apt + "/trusted.gpg.d/debian.gpg"]))
        #expect(sources[1].keyring == .files(["/usr/share/keyrings/x.gpg"]))
        #expect(sources[1].architectures == ["amd64", "arm64"])
        #expect(sources[1].declaredAt == apt + "/sources.list:5")
        // deb822: one source per suite, Signed-By path, inline key block.
        #expect(sources[3].components == ["main", "non-free-firmware"])
        #expect(sources[3].keyring == .files(["/usr/share/keyrings/debian-archive-keyring.gpg"]))
        guard case let .inline(armored) = sources[4].keyring else {
            Issue.record("expected an inline key, got \(sources[4].keyring)")
            return
        }
        #expect(armored.hasPrefix("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZJ1a"))
        #expect(Armor.decode(armored)?.isEmpty == false)
        #expect(sources[4].architectures == ["amd64"])
        #expect(sources[4].inReleaseURL.absoluteString == "https://inline.example/repo/dists/sid/InRelease")
    }

    @Test func reportsFileAndLineOfABadEntry() throws {
        let scratch = try ScratchDirectory()
        let apt = scratch.path("apt")
        try FileManager.default.createDirectory(atPath: apt, withIntermediateDirectories: true)
        try "# ok\ndeb [arch=amd64 http://x/ y main\n".write(toFile: apt + "/sources.list", atomically: true, encoding: .utf8)
        #expect {
            try AptConfiguration.sources(aptDirectory: apt)
        } throws: { error in
            "\(error)" == "\(apt)/sources.list:2: \"[\" without a closing \"]\""
        }
        try "deb http://x/ flat/\n".write(toFile: apt + "/sources.list", atomically: true, encoding: .utf8)
        #expect(throws: RepositoryError.self) { try AptConfiguration.sources(aptDirectory: apt) }
    }

    @Test func missingDirectoryMeansNoSources() throws {
        #expect(try AptConfiguration.sources(aptDirectory: "/nonexistent/apt").isEmpty)
    }

    @Test func manifestSource() throws {
        let source = try AptSource(url: "http://deb.debian.org/debian/", suite: "bookworm",
                                   components: ["main"], keyring: "/usr/share/keyrings/debian-archive-keyring.gpg")
        #expect(source.origin(component: "main") == "http://deb.debian.org/debian bookworm/main")
        #expect(source.inReleaseURL.absoluteString == "http://deb.debian.org/debian/dists/bookworm/InRelease")
        #expect(throws: RepositoryError.self) {
            try AptSource(url: "ftp://x/debian", suite: "bookworm", components: ["main"], keyring: "/k")
        }
    }
}
