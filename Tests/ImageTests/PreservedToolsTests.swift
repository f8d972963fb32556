import ContentStore
import FileTree
import Testing
import TestSupport
@testable import BuildPipeline

/// The tuning stage's check that an image with `tuning.preservedMemory` can format an empty
/// region: mkfs.ext4 at /usr/sbin (merged /usr: /sbin → usr/sbin), where e2fsprogs ships it
/// as a hard link to mke2fs.
@Suite struct PreservedToolsTests {
    let scratch: ScratchDirectory
    let store: ContentStore

    init() throws {
        scratch = try ScratchDirectory()
        store = try ContentStore(root: scratch.path("cache"))
    }

    func tree(_ mkfs: FileTree.Node.Kind?, at path: String = "/usr/sbin/mkfs.ext4") throws -> FileTree {
        var tree = FileTree()
        try tree.insert(.directory(), at: "/usr")
        try tree.insert(.directory(), at: "/usr/sbin")
        try tree.insert(FileTree.Node(.symlink("usr/sbin"), mode: 0o777), at: "/sbin")
        try tree.insert(FileTree.Node(.regular(try store.put(Array("ELF".utf8))), mode: 0o755), at: "/usr/sbin/mke2fs")
        if let mkfs { try tree.insert(FileTree.Node(mkfs, mode: 0o755), at: path) }
        return tree
    }

    @Test func aRegularFileOrAHardLinkIsFound() throws {
        #expect(TuningStage.hasProgram(TuningStage.mkfs, in: try tree(.regular(try store.put(Array("ELF".utf8))))))
        #expect(TuningStage.hasProgram(TuningStage.mkfs, in: try tree(.hardlink("/usr/sbin/mke2fs"))))
        #expect(TuningStage.hasProgram(TuningStage.mkfs, in: try tree(.symlink("mke2fs"))))
    }

    @Test func missingOrNotAFileIsNot() throws {
        #expect(!TuningStage.hasProgram(TuningStage.mkfs, in: try tree(nil)))
        #expect(!TuningStage.hasProgram(TuningStage.mkfs, in: try tree(.directory)))
        #expect(!TuningStage.hasProgram(TuningStage.mkfs, in: try tree(.symlink("/nonexistent"))))
    }
}
