import Testing
@testable import Debian

@Suite struct RelationTests {
    @Test func parsesAlternativesVersionsAndQualifiers() throws {
        let groups = try Relation.parseField("libc6 (>= 2.36), a (<< 1:2~) | b:any | c ( = 3 ), python3:native, d (<2), e (>1)")
        #expect(groups.count == 5)
        #expect(groups[0] == [Relation(name: "libc6", op: .greaterOrEqual, version: try DebianVersion("2.36"))])
        #expect(groups[1].map(\.name) == ["a", "b", "c"])
        #expect(groups[1][0].op == .lessThan)
        #expect(groups[1][0].version?.description == "1:2~")
        #expect(groups[1][1].architectureQualifier == "any")
        #expect(groups[1][2].op == .equal)
        #expect(groups[2][0].architectureQualifier == "native")
        #expect(groups[3][0].op == .lessOrEqual, "obsolete < means <=")
        #expect(groups[4][0].op == .greaterOrEqual, "obsolete > means >=")
        #expect(groups[1].map(\.description) == ["a (<< 1:2~)", "b:any", "c (= 3)"])
    }

    @Test func architectureRestrictionsAndProfiles() throws {
        let groups = try Relation.parseField("foo [amd64 !i386] <!nocheck> <cross>, bar [!amd64], baz [i386 arm64], qux:amd64")
        #expect(groups[0][0].architectures.count == 2)
        #expect(groups[0][0].applies(on: "amd64"))
        #expect(!groups[1][0].applies(on: "amd64"))
        #expect(groups[1][0].applies(on: "i386"))
        #expect(!groups[2][0].applies(on: "amd64"))
        #expect(groups[3][0].architectureQualifier == "amd64")
    }

    @Test func multilineAndTrailingComma() throws {
        let groups = try Relation.parseField("a,\n b (>= 1),\n c,")
        #expect(groups.map { $0.map(\.name) } == [["a"], ["b"], ["c"]])
    }

    @Test func versionedProvides() throws {
        let provides = try Relation.parseList("foo (= 1.2), bar")
        #expect(provides[0].op == .equal)
        #expect(provides[0].accepts(try DebianVersion("1.2")))
        #expect(provides[1].version == nil)
    }

    @Test(arguments: [
        ("a (>= 1", "opens '('"), ("a (=> 1)", "uses \"=>\""), ("a (>= )", "version may not be empty"),
        ("a | | b", "empty entry"), ("a b", "unexpected \"b\""), ("a [amd64", "opens '['"), ("a <x", "opens '<'"),
        ("(>= 1)", "does not start with a package name"),
    ])
    func rejectsMalformed(text: String, fragment: String) {
        do {
            _ = try Relation.parseField(text)
            Issue.record("\(text) parsed")
        } catch {
            #expect("\(error)".contains(fragment), "\(error)")
        }
    }

    @Test func operatorsHold() throws {
        let one = try DebianVersion("1"), two = try DebianVersion("2")
        #expect(Relation.Operator.lessThan.holds(one, two))
        #expect(Relation.Operator.lessOrEqual.holds(two, two))
        #expect(!Relation.Operator.greaterThan.holds(two, two))
        #expect(Relation.Operator.greaterOrEqual.holds(two, one))
        #expect(Relation.Operator.equal.holds(try DebianVersion("0:1"), one))
    }
}
