import ContentStore
import FileTree
import Foundation
import RootFS
import Testing
import TestSupport

@Suite struct OverlayTests {
    let scratch: ScratchDirectory
    let store: ContentStore
    let overlay: String
    /// A tree as packages left it: merged /usr, /etc/hostname from "base-files".
    var tree: FileTree

    init() throws {
        scratch = try ScratchDirectory()
        store = try ContentStore(root: scratch.path("store"))
        overlay = scratch.path("site")
        tree = MergedUsr.baseTree()
        try tree.insert(FileTree.Node(.directory, mode: 0o755, origin: "base-files"), at: "/etc")
        try tree.insert(FileTree.Node(.regular(try store.put(Array("debian\n".utf8))), mode: 0o644, origin: "base-files"),
                        at: "/etc/hostname")
        try tree.insert(FileTree.Node(.regular(try store.put(Array("root:*:1::::::\n".utf8))), mode: 0o640, gid: 42,
                                      origin: "passwd"), at: "/etc/gshadow")
    }

    func write(_ relative: String, _ text: String, mode: mode_t = 0o644) throws {
        let full = overlay + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: false, encoding: .utf8)
        chmod(full, mode)
    }

    @Test mutating func appliesFilesDirectoriesLinksAndAttributes() throws {
        try write("etc/hostname", "hv-01\n")
        try write("etc/shadow", "root:*:19000:0:99999:7:::\n", mode: 0o600)
        try write("usr/local/bin/agent", "#!/bin/sh\n", mode: 0o755)
        try FileManager.default.createDirectory(atPath: overlay + "/var/lib/agent", withIntermediateDirectories: true)
        chmod(overlay + "/var/lib/agent", 0o700)
        try FileManager.default.createSymbolicLink(atPath: overlay + "/etc/localtime", withDestinationPath: "/usr/share/zoneinfo/UTC")
        try write(Overlay.attributesFileName, """
            # owners cannot come from a checkout
            /etc/shadow   mode=0640 uid=0 gid=42

            /var/lib/agent uid=990 gid=990
            /etc/gshadow mode=0600
            """)

        let paths = try Overlay.apply(directory: overlay, to: &tree, store: store)
        #expect(paths.contains("/etc/hostname") && paths.contains("/usr/local/bin/agent"))
        #expect(!paths.contains("/" + Overlay.attributesFileName))
        #expect(tree["/" + Overlay.attributesFileName] == nil)

        let hostname = try #require(tree["/etc/hostname"])
        #expect(String(decoding: try store.read(try #require(hostname.content)), as: UTF8.self) == "hv-01\n")
        #expect(hostname.origin == "overlay:site")
        #expect(hostname.uid == 0 && hostname.gid == 0)
        #expect(tree["/etc/shadow"]?.mode == 0o640)
        #expect(tree["/etc/shadow"]?.gid == 42)
        #expect(tree["/usr/local/bin/agent"]?.mode == 0o755)
        #expect(tree["/var/lib/agent"]?.mode == 0o700)
        #expect(tree["/var/lib/agent"]?.uid == 990)
        #expect(tree["/etc/localtime"]?.symlinkTarget == "/usr/share/zoneinfo/UTC")
        // A package's file can be re-moded by the attributes file, and /etc keeps its owner.
        #expect(tree["/etc/gshadow"]?.mode == 0o600)
        #expect(tree["/etc/gshadow"]?.origin == "passwd")
        #expect(tree["/etc"]?.origin == "base-files")
    }

    @Test mutating func badAttributeLinesAreReportedWithFileAndLine() throws {
        try write("etc/motd", "hi\n")
        try write(Overlay.attributesFileName, """
            /etc/motd mode=0644
            etc/relative mode=0644
            /etc/motd uid=1
            /etc/x mode=999 owner=root
            /etc/y gid=wheel

            """)
        let before = snapshot(tree)
        let error = try #require(rootFSError { try Overlay.apply(directory: overlay, to: &tree, store: store) })
        let file = overlay + "/" + Overlay.attributesFileName
        guard case let .badAttributes(problems) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(problems.map(\.line) == [2, 3, 4, 4, 5])
        #expect(problems[0].description == "\(file):2: 'etc/relative' is not an absolute path; write the path as it is in the image, e.g. /etc/shadow")
        #expect(problems[1].message.contains("already has attributes on line 1"))
        #expect(problems[2].message.contains("mode '999'"))
        #expect(problems[3].message.contains("unknown attribute 'owner'"))
        #expect(problems[4].message.contains("names are not accepted"))
        #expect(snapshot(tree) == before)
    }

    @Test mutating func attributesForAMissingPathAreReported() throws {
        try write("etc/motd", "hi\n")
        try write(Overlay.attributesFileName, "/etc/nothere mode=0600\n")
        let before = snapshot(tree)
        let error = try #require(rootFSError { try Overlay.apply(directory: overlay, to: &tree, store: store) })
        #expect(error.description == "\(overlay)/\(Overlay.attributesFileName):1: /etc/nothere is neither in the overlay nor in the tree")
        #expect(snapshot(tree) == before)
    }

    @Test mutating func pathsThroughSymlinksInTheTreeAreRefused() throws {
        try write("etc/motd", "hi\n")
        try write("bin/tool", "#!/bin/sh\n", mode: 0o755)
        let before = snapshot(tree)
        let error = try #require(rootFSError { try Overlay.apply(directory: overlay, to: &tree, store: store) })
        #expect(error == .throughSymlink(SourceLocation(source: "overlay site (\(overlay))"), entry: "bin/tool", symlink: "/bin"))
        #expect(error.description.contains("goes through the symlink /bin"))
        #expect(snapshot(tree) == before)
    }

    @Test mutating func fifosAreRefused() throws {
        try FileManager.default.createDirectory(atPath: overlay, withIntermediateDirectories: true)
        #expect(mkfifo(overlay + "/pipe", 0o600) == 0)
        let error = try #require(rootFSError { try Overlay.apply(directory: overlay, to: &tree, store: store) })
        #expect(error.description.contains("overlays hold only files, directories and symlinks"))
    }
}
