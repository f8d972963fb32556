import Foundation
import SystemIO
import Testing
import TestSupport

/// Atomic replace: the new file whole, or the old one untouched and no debris.
@Suite struct ReplaceTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
    }

    func contents(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.hasPrefix(".") }
    }

    @Test func replaceWritesTheNewContentsWithExactPermissions() throws {
        let path = scratch.path("key.pem")
        try SystemIO.replace(path, with: Array("old".utf8))
        try SystemIO.replace(path, with: Array("new".utf8), permissions: 0o600)
        #expect(try contents(path) == Array("new".utf8))
        #expect(try SystemIO.status(of: path).mode & 0o777 == 0o600)
        #expect(try leftovers() == [])
    }

    @Test func temporaryPathsSitBesideTheTarget() {
        let pid = getpid()
        #expect(SystemIO.temporaryPath(for: "out/x.img") == "out/.x.img.tmp-\(pid)")
        #expect(SystemIO.temporaryPath(for: "x.img") == "./.x.img.tmp-\(pid)")
        #expect(SystemIO.directory(of: "/x") == "/")
        #expect(SystemIO.baseName(of: "a/b/c") == "c")
    }

    /// Fail each pwrite and fsync in turn: the old file stays and nothing is left behind.
    @Test(arguments: [FaultySystemCalls.Trigger.pwrite(1), .fsync(1), .fsync(2)])
    func aFailedReplaceKeepsTheOldFile(trigger: FaultySystemCalls.Trigger) throws {
        let path = scratch.path("target")
        try SystemIO.replace(path, with: Array("old".utf8))
        let fake = FaultySystemCalls(trigger: trigger, effect: .fail(EIO))
        let error = try SystemIO.$calls.withValue(fake) {
            try #require(throws: SystemIOError.self) { try SystemIO.replace(path, with: Array("new".utf8)) }
        }
        #expect(fake.tripped)
        #expect(error.code == EIO)
        if trigger == .fsync(2) {
            // The directory fsync failed after the rename: the new file is in place.
            #expect(try contents(path) == Array("new".utf8))
        } else {
            #expect(try contents(path) == Array("old".utf8))
        }
        #expect(try leftovers() == [])
    }

    @Test func aFailedRenameRemovesTheTemporaryFileAndNamesBoth() throws {
        let temporary = scratch.path(".t.tmp")
        try Data([1]).write(to: URL(fileURLWithPath: temporary))
        let target = scratch.path("no/such/dir/t")
        let error = try #require(throws: SystemIOError.self) { try SystemIO.commit(temporary, to: target) }
        #expect(error.description == "\(target): cannot rename \(temporary) into place: No such file or directory")
        #expect(!SystemIO.exists(temporary))
    }
}
