import ContentStore
import FileTree
import Foundation
import TestSupport

/// A scratch content store and a tree built by hand.
final class Fixture {
    let scratch: ScratchDirectory
    let store: ContentStore
    var tree = FileTree()

    init() throws {
        scratch = try ScratchDirectory()
        store = try ContentStore(root: scratch.path("store"))
    }

    @discardableResult
    func file(_ path: String, _ bytes: [UInt8], origin: String? = nil, mode: UInt16 = 0o644) throws -> ContentStore.Ref {
        let ref = try store.put(bytes)
        try tree.insert(FileTree.Node(.regular(ref), mode: mode, origin: origin), at: path)
        return ref
    }

    @discardableResult
    func text(_ path: String, _ text: String, origin: String? = nil) throws -> ContentStore.Ref {
        try file(path, Array(text.utf8), origin: origin)
    }

    /// Copies a file of this machine into the tree; nil when it is not here.
    @discardableResult
    func copy(_ source: String, to path: String, origin: String?) throws -> ContentStore.Ref? {
        guard FileManager.default.fileExists(atPath: source) else { return nil }
        return try file(path, [UInt8](try Data(contentsOf: URL(fileURLWithPath: source))), origin: origin, mode: 0o755)
    }

    func symlink(_ path: String, to target: String, origin: String? = nil) throws {
        try tree.insert(FileTree.Node(.symlink(target), mode: 0o777, origin: origin), at: path)
    }

    func hardlink(_ path: String, to target: String, origin: String? = nil) throws {
        try tree.insert(FileTree.Node(.hardlink(target), mode: 0o644, origin: origin), at: path)
    }

    func directory(_ path: String, origin: String? = nil) throws {
        try tree.insert(.directory(origin: origin), at: path)
    }

    /// An i386 object built by gcc -m32 when this gcc can, else a synthetic one of the same shape.
    func i386Object(soname: String?, shared: Bool) throws -> [UInt8] {
        if let gcc = Tools.find("gcc") {
            let source = scratch.path("obj-\(UUID().uuidString).c")
            let output = source + ".out"
            try "void _start(void) { for (;;) {} }\n".write(toFile: source, atomically: true, encoding: .utf8)
            var flags = ["-m32", "-nostdlib", "-fPIC"]
            flags += shared ? ["-shared"] + (soname.map { ["-Wl,-soname,\($0)"] } ?? []) : ["-static", "-no-pie"]
            let result = try Tools.run(gcc, flags + [source, "-o", output])
            if result.status == 0 { return [UInt8](try Data(contentsOf: URL(fileURLWithPath: output))) }
        }
        var synthetic = SyntheticELF()
        synthetic.is64 = false
        synthetic.machine = 3
        synthetic.type = shared ? 3 : 2
        synthetic.soname = soname
        return synthetic.build()
    }

    /// An AArch64 ELF: only the 64-byte header (as firmware blobs are seen by the quick check),
    /// or a full shared library with a SONAME.
    static func aarch64(soname: String? = nil, headerOnly: Bool = false) -> [UInt8] {
        var synthetic = SyntheticELF()
        synthetic.machine = 183
        synthetic.type = soname == nil ? 2 : 3
        synthetic.soname = soname
        let bytes = synthetic.build()
        return headerOnly ? Array(bytes.prefix(64)) : bytes
    }
}
