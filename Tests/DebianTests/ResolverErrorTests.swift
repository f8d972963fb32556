import Testing
@testable import Debian

/// Every resolver error, with the exact sentence a person reads.
@Suite struct ResolverErrorTests {
    static let index = """
        Package: qemu-system-x86
        Version: 1:7.2
        Depends: libfdt1 (>= 1.6)

        Package: libfdt1
        Version: 1.5

        Package: foo-bar
        Version: 1

        Package: top
        Version: 1
        Depends: bar

        Package: bar
        Version: 1
        Depends: baz

        Package: baz
        Version: 1

        Package: alt
        Version: 1
        Depends: baz | nothing-here | libfdt1 (>= 2)

        Package: server
        Version: 1
        Conflicts: client (<< 2), legacy-api
        Breaks: tool

        Package: client
        Version: 1

        Package: tool
        Version: 1

        Package: shim
        Version: 1
        Provides: legacy-api
        Conflicts: legacy-api

        Package: needs-i386
        Version: 1
        Depends: lib:i386
        """

    @Test func versionTooLow() throws {
        let index = try syntheticIndex(Self.index)
        #expect(failure { _ = try resolve(index, include: ["qemu-system-x86"]) }
            == "qemu-system-x86 needs libfdt1 (>= 1.6) but bookworm/main has 1.5")
    }

    @Test func notFoundWithSuggestion() throws {
        let index = try syntheticIndex(Self.index)
        #expect(failure { _ = try resolve(index, include: ["foo"]) }
            == "foo is not in any configured index (did you mean foo-bar?)")
        #expect(failure { _ = try resolve(index, include: ["qemu-system-x68"]) }
            == "qemu-system-x68 is not in any configured index (did you mean qemu-system-x86?)")
        #expect(failure { _ = try resolve(index, include: ["zzzzzzzz"]) } == "zzzzzzzz is not in any configured index")
    }

    @Test func excludedDependencyNamesTheChain() throws {
        let index = try syntheticIndex(Self.index)
        #expect(failure { _ = try resolve(index, include: ["bar"], exclude: ["baz"]) } == "bar needs baz, which is excluded")
        #expect(failure { _ = try resolve(index, include: ["top"], exclude: ["baz"]) }
            == "bar needs baz, which is excluded (via top (requested) → bar)")
    }

    @Test func noAlternativeFits() throws {
        let index = try syntheticIndex(Self.index)
        #expect(failure { _ = try resolve(index, include: ["alt"], exclude: ["baz"]) }
            == "alt needs baz | nothing-here | libfdt1 (>= 2), but none fits: baz, which is excluded; nothing-here, which is not in any configured index; libfdt1 (>= 2) but bookworm/main has 1.5")
    }

    @Test func includedAndExcluded() throws {
        let index = try syntheticIndex(Self.index)
        #expect(failure { _ = try resolve(index, include: ["bar", "baz"], exclude: ["baz", "bar"]) }
            == "bar, baz are both included and excluded; remove them from one of the lists")
    }

    @Test func foreignArchitectureQualifier() throws {
        let index = try syntheticIndex(Self.index)
        #expect(failure { _ = try resolve(index, include: ["needs-i386"]) }
            == "needs-i386 needs lib:i386, which names an architecture other than amd64/all")
    }

    @Test func conflictsAndBreaks() throws {
        let index = try syntheticIndex(Self.index)
        #expect(failure { _ = try resolve(index, include: ["server", "client"]) }
            == "server conflicts with client (<< 2), but client is selected too")
        #expect(failure { _ = try resolve(index, include: ["server", "tool"]) }
            == "server breaks tool, but tool is selected too")
        #expect(failure { _ = try resolve(index, include: ["server", "shim"]) }
            == "server conflicts with legacy-api, but shim is selected too")
        // A package that provides and conflicts with the same virtual name is fine on its own.
        #expect(try resolve(index, include: ["shim"]).packages.map(\.name) == ["shim"])
    }

    @Test func severalProblemsAreAllReported() throws {
        let index = try syntheticIndex(Self.index)
        let message = failure { _ = try resolve(index, include: ["qemu-system-x86", "nope-x"]) }
        #expect(message.hasPrefix("2 problems: "))
        #expect(message.contains("nope-x is not in any configured index"))
        #expect(message.contains("qemu-system-x86 needs libfdt1 (>= 1.6) but bookworm/main has 1.5"))
    }
}
