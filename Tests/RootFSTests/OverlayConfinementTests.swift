import ContentStore
import FileTree
import Foundation
import RootFS
import Testing
import TestSupport

/// Issue 12: an overlay copies the project's files, never the build machine's.
@Suite struct OverlayConfinementTests {
    let scratch: ScratchDirectory
    let store: ContentStore
    /// The project folder and, beside it, what stands for the build machine's /etc/ssh.
    let project: String
    let host: String
    static let secret = "host private key"

    init() throws {
        scratch = try ScratchDirectory()
        store = try ContentStore(root: scratch.path("store"))
        project = scratch.path("proj")
        host = scratch.path("host-etc-ssh")
        try FileManager.default.createDirectory(atPath: project + "/overlays/site/etc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        try Self.secret.write(toFile: host + "/ssh_host_ed25519_key", atomically: false, encoding: .utf8)
    }

    func tree() throws -> FileTree {
        var tree = MergedUsr.baseTree()
        try tree.insert(FileTree.Node(.directory, mode: 0o755, origin: "base-files"), at: "/etc")
        return tree
    }

    @Test func anOverlayThatIsALinkOutOfTheProjectIsRefused() throws {
        try FileManager.default.createSymbolicLink(atPath: project + "/overlays/ssh", withDestinationPath: host)
        var tree = try tree()
        let before = snapshot(tree)
        let error = try #require(rootFSError {
            try Overlay.apply(directory: project + "/overlays/ssh", within: project, to: &tree, store: store)
        })
        guard case let .outsideProject(_, path, root, reason) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(path == project + "/overlays/ssh")
        #expect(root == project)
        #expect(reason == "it resolves to \(host)")
        #expect(error.description.contains("outside the project tree"))
        #expect(snapshot(tree) == before)
    }

    @Test func aLinkInsideTheProjectIsFollowedToItsRealDirectory() throws {
        try "hi\n".write(toFile: project + "/overlays/site/etc/motd", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: project + "/overlays/current", withDestinationPath: "site")
        var tree = try tree()
        let paths = try Overlay.apply(directory: project + "/overlays/current", within: project, to: &tree, store: store)
        #expect(paths.contains("/etc/motd"))
    }

    @Test func aSymlinkInsideAnOverlayIsCopiedAsALinkNeverFollowed() throws {
        try FileManager.default.createSymbolicLink(atPath: project + "/overlays/site/etc/ssh", withDestinationPath: host)
        try FileManager.default.createSymbolicLink(atPath: project + "/overlays/site/etc/hosts", withDestinationPath: "/etc")
        var tree = try tree()
        try Overlay.apply(directory: project + "/overlays/site", within: project, to: &tree, store: store)
        #expect(tree["/etc/ssh"]?.symlinkTarget == host)
        #expect(tree["/etc/hosts"]?.symlinkTarget == "/etc")
        #expect(tree["/etc/ssh/ssh_host_ed25519_key"] == nil)
        // Nothing of the link's target reached the store.
        for entry in tree.entries {
            guard let content = entry.node.content else { continue }
            #expect(String(decoding: try store.read(content), as: UTF8.self) != Self.secret)
        }
    }

    @Test func anAttributesFileThatIsALinkIsRefusedUnread() throws {
        try FileManager.default.createSymbolicLink(atPath: project + "/overlays/site/" + Overlay.attributesFileName,
                                                   withDestinationPath: host + "/ssh_host_ed25519_key")
        var tree = try tree()
        let error = try #require(rootFSError { try Overlay.apply(directory: project + "/overlays/site", to: &tree, store: store) })
        #expect(error.description.contains("the attributes file must be a regular file"))
        #expect(!error.description.contains(Self.secret))
    }
}
