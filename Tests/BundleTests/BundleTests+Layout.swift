import Foundation
import Testing
import TestSupport

@testable import Bundle

/// `Reader.members`: the layout computed from the manifest matches the headers in the file.
@Suite struct BundleLayoutTests {
    @Test(arguments: [true, false])
    func membersAreWhereTheHeadersAre(signed: Bool) throws {
        let scratch = try ScratchDirectory()
        let payloads = try Fixtures.payloads(in: scratch, rootSize: 300_000)
        let path = scratch.path("layout.bundle")
        _ = try Fixtures.writeBundle(path, payloads, signer: signed ? try Fixtures.signer(try Fixtures.identity(.rsa2048)) : nil)
        let bytes = try Fixtures.bytes(path)
        let members = try UpdateBundle.Reader(path: path).members
        #expect(members.map(\.name).prefix(signed ? 2 : 1) == (signed ? [UpdateBundle.manifestName, UpdateBundle.signatureName] : [UpdateBundle.manifestName]))
        for member in members {
            #expect(try Fixtures.dataOffset(of: member.name, in: bytes) == Int(member.dataOffset), "\(member.name)")
        }
        let last = try #require(members.last)
        #expect(bytes[Int(last.end)...].prefix(1024).allSatisfy { $0 == 0 }, "the end-of-archive blocks follow the last member")
    }
}
