import Testing
@testable import Debian

@Suite struct ResolverTests {
    @Test func closureOverDependsAndPreDependsWithReasons() throws {
        let index = try syntheticIndex("""
            Package: app
            Version: 1
            Pre-Depends: pre
            Depends: lib (>= 2), common

            Package: lib
            Version: 2.1

            Package: pre
            Version: 1

            Package: common
            Version: 1
            Depends: lib

            Package: unrelated
            Version: 1
            """)
        let resolution = try resolve(index, include: ["app"])
        #expect(resolution.packages.map(\.name) == ["app", "common", "lib", "pre"])
        #expect(resolution.reasons["app"] == .requested)
        #expect(resolution.reasons["pre"] == .dependency(of: "app", relation: "pre"))
        #expect(resolution.reasons["lib"] == .dependency(of: "app", relation: "lib (>= 2)"))
        #expect(resolution.reasons["lib"]?.description == "required by app")
        #expect(resolution.chain(to: "lib") == ["app", "lib"])
    }

    @Test func essentialAddsEssentialAndRequired() throws {
        let index = try syntheticIndex("""
            Package: base-files
            Version: 1
            Essential: yes
            Priority: optional

            Package: mawk
            Version: 1
            Priority: required

            Package: vim
            Version: 1
            Priority: important
            """)
        let resolution = try resolve(index, include: [], essential: true)
        #expect(resolution.packages.map(\.name) == ["base-files", "mawk"])
        #expect(resolution.reasons["base-files"] == .essential)
        #expect(resolution.reasons["mawk"] == .priorityRequired)
        #expect(try resolve(index, include: [], exclude: ["mawk"], essential: true).packages.map(\.name) == ["base-files"])
    }

    @Test func candidateIsHighestVersionAcrossIndices() throws {
        let index = try syntheticIndex([
            ("http://deb.example/debian bookworm/main", "Package: a\nVersion: 1.0-1\n"),
            ("http://security.example/debian-security bookworm-security/main", "Package: a\nVersion: 1.0-1+deb12u1\n"),
            ("http://deb.example/debian bookworm-updates/main", "Package: a\nVersion: 1.0-1~deb12u1\n"),
        ])
        let package = try #require(try resolve(index, include: ["a"]).packages.first)
        #expect(package.version.description == "1.0-1+deb12u1")
        #expect(package.originBaseURL == "http://security.example/debian-security")
        #expect(package.originLabel == "bookworm-security/main")
        #expect(index.allVersions("a").count == 3)
    }

    @Test func foreignArchitecturesAreIgnored() throws {
        let index = try syntheticIndex("Package: a\nVersion: 1\nArchitecture: i386\n\nPackage: b\nVersion: 1\nArchitecture: all\n")
        #expect(index.candidate("a") == nil)
        #expect(index.candidate("b") != nil)
    }

    @Test func firstSatisfiableAlternativeWins() throws {
        let index = try syntheticIndex("""
            Package: app
            Version: 1
            Depends: missing | old (>= 2) | second | third

            Package: old
            Version: 1

            Package: second
            Version: 1

            Package: third
            Version: 1
            """)
        #expect(try resolve(index, include: ["app"]).packages.map(\.name) == ["app", "second"])
    }

    @Test func alreadyRequestedAlternativeIsPreferred() throws {
        let index = try syntheticIndex("""
            Package: app
            Version: 1
            Depends: first | second

            Package: first
            Version: 1

            Package: second
            Version: 1
            """)
        #expect(try resolve(index, include: ["app", "second"]).packages.map(\.name) == ["app", "second"])
        #expect(try resolve(index, include: ["app"]).packages.map(\.name) == ["app", "first"])
    }

    @Test func excludedAlternativeIsSkipped() throws {
        let index = try syntheticIndex("Package: app\nVersion: 1\nDepends: first | second\n\nPackage: first\nVersion: 1\n\nPackage: second\nVersion: 1\n")
        #expect(try resolve(index, include: ["app"], exclude: ["first"]).packages.map(\.name) == ["app", "second"])
    }

    static let virtualIndex = """
        Package: app
        Version: 1
        Depends: mta

        Package: zz-mta
        Version: 1
        Priority: standard
        Provides: mta

        Package: aa-mta
        Version: 1
        Priority: optional
        Provides: mta

        Package: bb-mta
        Version: 1
        Priority: standard
        Provides: mta
        """

    @Test func virtualProviderByPriorityThenName() throws {
        let index = try syntheticIndex(Self.virtualIndex)
        #expect(try resolve(index, include: ["app"]).packages.map(\.name) == ["app", "bb-mta"])
    }

    @Test func virtualProviderAlreadySelectedWins() throws {
        let index = try syntheticIndex(Self.virtualIndex)
        #expect(try resolve(index, include: ["app", "aa-mta"]).packages.map(\.name) == ["aa-mta", "app"])
        #expect(try resolve(index, include: ["app"], exclude: ["bb-mta"]).packages.map(\.name) == ["app", "zz-mta"])
    }

    @Test func requestingAVirtualNamePicksAProvider() throws {
        let index = try syntheticIndex(Self.virtualIndex)
        let resolution = try resolve(index, include: ["mta"])
        #expect(resolution.packages.map(\.name) == ["bb-mta"])
        #expect(resolution.reasons["bb-mta"] == .requested)
    }

    @Test func versionedProvides() throws {
        let index = try syntheticIndex("""
            Package: app
            Version: 1
            Depends: api (>= 2)

            Package: old-impl
            Version: 5
            Provides: api (= 1)

            Package: unversioned-impl
            Version: 5
            Provides: api

            Package: new-impl
            Version: 1
            Provides: api (= 2.5)
            """)
        #expect(try resolve(index, include: ["app"]).packages.map(\.name) == ["app", "new-impl"])
        let message = failure { _ = try resolve(index, include: ["app"], exclude: ["new-impl"]) }
        #expect(message == "app needs api (>= 2), which only excluded packages satisfy (new-impl)")
    }

    @Test func unversionedProvidesDoesNotSatisfyVersionedDependency() throws {
        let index = try syntheticIndex("Package: app\nVersion: 1\nDepends: api (>= 1)\n\nPackage: impl\nVersion: 1\nProvides: api\n")
        #expect(failure { _ = try resolve(index, include: ["app"]) } == "app needs api (>= 1) but impl provides it unversioned")
    }

    @Test func cyclesTerminate() throws {
        let index = try syntheticIndex("""
            Package: a
            Version: 1
            Depends: b

            Package: b
            Version: 1
            Pre-Depends: c

            Package: c
            Version: 1
            Depends: a, b
            """)
        let resolution = try resolve(index, include: ["a"])
        #expect(resolution.packages.map(\.name) == ["a", "b", "c"])
        #expect(resolution.chain(to: "c") == ["a", "b", "c"])
    }

    @Test func architectureRestrictedDependencyIsSkipped() throws {
        let index = try syntheticIndex("Package: app\nVersion: 1\nDepends: only-i386 [i386], lib:any, never:arm64 | lib\n\nPackage: lib\nVersion: 1\nMulti-Arch: allowed\n")
        #expect(try resolve(index, include: ["app"]).packages.map(\.name) == ["app", "lib"])
    }

    @Test func deterministic() throws {
        let index = try syntheticIndex(Self.virtualIndex)
        let runs = try (0..<5).map { _ in try resolve(index, include: ["app", "mta"]).packages.map(\.name) }
        #expect(Set(runs.map { $0.joined(separator: ",") }).count == 1)
    }
}
