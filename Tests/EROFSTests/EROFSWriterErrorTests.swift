import ContentStore
import FileTree
import Foundation
import Testing
import TestSupport
@testable import EROFS

/// Trees and options the writer must refuse, with a message naming the path.
struct EROFSWriterErrorTests {
    let scratch: ScratchDirectory
    let store: ContentStore
    let options = EROFS.WriteOptions(buildTime: 0, uuid: Array(repeating: 0, count: 16))

    init() throws {
        scratch = try ScratchDirectory()
        store = try ContentStore(root: scratch.path("store"))
    }

    func write(_ tree: FileTree, options: EROFS.WriteOptions? = nil) throws {
        try EROFS.write(tree, store: store, to: scratch.path("out.erofs"), options: options ?? self.options)
    }

    func expectError(_ tree: FileTree, options: EROFS.WriteOptions? = nil, mentioning text: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try write(tree, options: options)
            Issue.record("no error", sourceLocation: sourceLocation)
        } catch {
            #expect(error is EROFSError, sourceLocation: sourceLocation)
            #expect("\(error)".contains(text), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func nameLongerThan255Bytes() throws {
        var tree = FileTree()
        try tree.insert(FileTree.Node(.fifo, mode: 0o644), at: "/d/" + String(repeating: "é", count: 128))
        expectError(tree, mentioning: "256 bytes")
        var ok = FileTree()
        try ok.insert(FileTree.Node(.fifo, mode: 0o644), at: "/d/" + String(repeating: "x", count: 255))
        try write(ok)
    }

    @Test func contentMissingOrWrongSize() throws {
        var tree = FileTree()
        try tree.insert(FileTree.Node(.regular(.init(sha256: String(repeating: "ab", count: 32), size: 3)), mode: 0o644), at: "/gone")
        expectError(tree, mentioning: "/gone")
        let ref = try store.put(Array("four".utf8))
        var wrong = FileTree()
        try wrong.insert(FileTree.Node(.regular(.init(sha256: ref.sha256, size: 9000)), mode: 0o644), at: "/short")
        expectError(wrong, mentioning: "/short")
    }

    @Test func badHardLinks() throws {
        var tree = FileTree()
        try tree.insert(FileTree.Node(.hardlink("/nowhere"), mode: 0o644), at: "/l")
        expectError(tree, mentioning: "/nowhere")
        var toDirectory = FileTree()
        try toDirectory.insert(.directory(), at: "/dir")
        try toDirectory.insert(FileTree.Node(.hardlink("/dir"), mode: 0o644), at: "/l")
        expectError(toDirectory, mentioning: "directory")
        var loop = FileTree()
        try loop.insert(FileTree.Node(.hardlink("/y"), mode: 0o644), at: "/x")
        try loop.insert(FileTree.Node(.hardlink("/x"), mode: 0o644), at: "/y")
        expectError(loop, mentioning: "loop")
    }

    @Test func xattrLimits() throws {
        var tree = FileTree()
        try tree.insert(FileTree.Node(.fifo, mode: 0o644, xattrs: ["user.big": [UInt8](repeating: 1, count: 70_000)]), at: "/f")
        expectError(tree, mentioning: "user.big")
        var longName = FileTree()
        try longName.insert(FileTree.Node(.fifo, mode: 0o644, xattrs: ["user." + String(repeating: "k", count: 256): [1]]), at: "/f")
        expectError(longName, mentioning: "255")
    }

    @Test func badSymlinkAndOptions() throws {
        var tree = FileTree()
        try tree.insert(FileTree.Node(.symlink(""), mode: 0o777), at: "/empty-link")
        expectError(tree, mentioning: "/empty-link")
        expectError(FileTree(), options: .init(buildTime: 0, uuid: [1, 2, 3]), mentioning: "16")
        expectError(FileTree(), options: .init(buildTime: 0, uuid: Array(repeating: 0, count: 16),
                                               volumeName: String(repeating: "v", count: 17)), mentioning: "17 bytes")
    }
}
