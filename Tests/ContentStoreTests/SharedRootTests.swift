import ContentStore
import Foundation
import Testing
import TestSupport

/// Several stores on one root, as parallel builds and tests sharing a cache have them.
@Suite struct SharedRootTests {
    @Test func openingTheStoreAgainKeepsAWriteInProgress() throws {
        let scratch = try ScratchDirectory()
        let first = try ContentStore(root: scratch.path("cache"))
        let writer = try ContentStore.Writer(store: first)
        try writer.write(Array("half".utf8))
        _ = try ContentStore(root: scratch.path("cache"))  // another build starts
        try writer.write(Array(" and the rest".utf8))
        let ref = try writer.commit(expecting: nil, what: "test blob")
        #expect(try first.read(ref) == Array("half and the rest".utf8))
    }

    @Test func openingRemovesOnlyTheFilesOfProcessesThatAreGone() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.path("cache")
        _ = try ContentStore(root: root)
        let tmp = root + "/tmp/"
        // pid_max is at most 2^22, so no process has the first id; the second name is the
        // format before process ids were recorded.
        let live = "\(getpid()).live", dead = "99999999.dead", old = "0B5C8D2E-0000-4000-8000-000000000000"
        for name in [live, dead, old] {
            #expect(FileManager.default.createFile(atPath: tmp + name, contents: Data("x".utf8)))
        }
        _ = try ContentStore(root: root)
        let left = try FileManager.default.contentsOfDirectory(atPath: tmp).sorted()
        #expect(left == [live])
    }
}
