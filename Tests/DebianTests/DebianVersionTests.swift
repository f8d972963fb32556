import Foundation
import Testing
import TestSupport
@testable import Debian

@Suite struct DebianVersionTests {
    /// Pairs chosen to exercise every rule of dpkg's ordering.
    static let pairs: [(String, String)] = [
        ("1.0", "1.0"), ("1.0", "1.1"), ("1.0", "1.0.0"), ("1.0~rc1", "1.0"), ("1.0~rc1", "1.0~rc2"),
        ("1.0~~", "1.0~"), ("1.0~~a", "1.0~"), ("1.0~", "1.0"), ("1.0", "1.0a"), ("1.0a", "1.0+"),
        ("1.0+", "1.0."), ("1.0.", "1.0-1"), ("1.0-1", "1.0-1~bpo"), ("1.0-1", "1.0-1.1"), ("1.0-1", "1.0-2"),
        ("1.0", "1.0-0"), ("1.0-0", "1.0-1"), ("0:1.0", "1.0"), ("1:0.1", "2.0"), ("2:1", "10:0"),
        ("10", "9"), ("010", "10"), ("1.010", "1.9"), ("1.2.3", "1.2.10"), ("a", "b"), ("a", "A"),
        ("Z", "a"), ("1a", "1b"), ("1a", "1."), ("1+b1", "1"), ("1+b1", "1+b2"), ("1+b10", "1+b9"),
        ("1.0+dfsg", "1.0"), ("1.0+dfsg-1", "1.0-1"), ("2.36-9+deb12u4", "2.36-9+deb12u10"),
        ("252.39-1~deb12u1", "252.39-1"), ("252.39-1~deb12u1", "252.38-1"), ("1:4.13+dfsg1-1", "1:4.13+dfsg1-1+b1"),
        ("3.0.11-1~deb12u2", "3.0.11-1~deb12u1"), ("1.2-3-4", "1.2-3"), ("1.2-3-4", "1.2-3-5"),
        ("1:1.2-1", "1:1.2-1"), ("0.0", "0"), ("0", "00"), ("1.0~beta", "1.0~alpha"), ("1.0~~~", "1.0~~"),
        ("9.9", "10.0~"), ("20230311", "20230311+deb12u1"), ("1.0-1+b1", "1.0-1.1"), ("7.88.1-10+deb12u5", "7.88.1-10+deb12u12"),
        ("1.0.0~git20200101", "1.0.0"), ("1.0.0+git20200101", "1.0.0"), ("2.0", "1.99999999999999999999"),
        ("1:0", "0:99"), ("1.0a~", "1.0a"), ("1.0-a", "1.0-A"), ("1.0-a", "1.0-~"), ("1~", "1~~"), ("5.2.15-2+b2", "5.2.15-2"),
        ("1.0.", "1.0"), ("1..0", "1.0"), ("1.0+~", "1.0+"), ("1:1:2", "1:1:10"),
    ]

    @Test func parsesParts() throws {
        let version = try DebianVersion("1:2.36-9+deb12u4")
        #expect(version.epoch == 1)
        #expect(version.upstream == "2.36")
        #expect(version.revision == "9+deb12u4")
        #expect(version.description == "1:2.36-9+deb12u4")
        let dashes = try DebianVersion("1.2-3-4")
        #expect(dashes.upstream == "1.2-3")
        #expect(dashes.revision == "4")
    }

    @Test(arguments: [
        ("", DebianVersion.Error.empty), ("a:1", .badEpoch("a:1")), (":1", .badEpoch(":1")),
        ("1:", .emptyUpstream("1:")), ("-1", .emptyUpstream("-1")), ("1.0 beta", .invalidCharacter("1.0 beta", " ")), ("1.0-", .emptyRevision("1.0-")),
    ])
    func rejectsInvalid(text: String, expected: DebianVersion.Error) {
        #expect(throws: expected) { try DebianVersion(text) }
    }

    @Test func tildeSortsBeforeEverything() throws {
        let sorted = try ["1.0", "1.0~rc1", "1.0+1", "1.0~~", "1.0a", "1.0.1"].map(DebianVersion.init).sorted()
        #expect(sorted.map(\.description) == ["1.0~~", "1.0~rc1", "1.0", "1.0a", "1.0+1", "1.0.1"])
    }

    @Test(.enabled(if: Tools.find("dpkg") != nil, "dpkg is not installed"))
    func agreesWithDpkg() throws {
        #expect(Self.pairs.count >= 60)
        let dpkg = try #require(Tools.find("dpkg"))
        for (a, b) in Self.pairs {
            let mine = DebianVersion.compare(try DebianVersion(a), try DebianVersion(b))
            for (op, expected) in [("lt", mine < 0), ("eq", mine == 0), ("gt", mine > 0)] {
                let result = try Tools.run(dpkg, ["--compare-versions", a, op, b])
                #expect((result.status == 0) == expected, "dpkg says \(a) \(op) \(b) is \(result.status == 0)")
            }
        }
    }
}
