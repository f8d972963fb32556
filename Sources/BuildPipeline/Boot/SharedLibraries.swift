import ContentStore
import ELF
import FileTree
import Foundation

/// What an ELF program needs from the image's tree to start: its program interpreter
/// (PT_INTERP) and every shared library its DT_NEEDED names, and theirs in turn — found as
/// the dynamic loader finds them on the host (ld.so(8): the default directories, Debian's
/// multiarch ones first), following symlinks inside the tree.
///
/// The initrd builder copies what this finds; the host stage checks the agent's needs with it
/// (an agent whose libraries the image lacks cannot start, so nothing on the host could bless
/// or switch a slot).
struct SharedLibraries {
    /// The loader's search order for an x86-64 Debian tree (no ld.so.cache, no RUNPATH: what
    /// the image's own programs need is in these).
    static let searchPath = ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib"]

    /// One thing a program needs, as the tree holds it.
    enum Need: Sendable, Equatable {
        /// The PT_INTERP path, as the object names it.
        case interpreter(String)
        /// A DT_NEEDED name and the path it was found at (`directory/name`, before symlinks).
        case library(name: String, path: String)
    }

    /// Why a program's needs cannot be met from the tree.
    enum Failure: Error, CustomStringConvertible {
        case missingInterpreter(user: String, path: String)
        case missingLibrary(user: String, name: String)
        /// A library the tree holds that cannot be read as ELF.
        case unreadable(path: String, cause: any Error)

        var description: String {
            switch self {
            case let .missingInterpreter(user, path):
                return "\(user) needs the program interpreter \(path), which the image's tree lacks"
            case let .missingLibrary(user, name):
                return "\(user) needs \(name), which is in none of \(SharedLibraries.searchPath.joined(separator: ", ")) of the image's tree"
            case let .unreadable(path, cause):
                return "\(path): \(cause)"
            }
        }
    }

    let tree: FileTree
    /// Where the tree's file contents are; nil only for a tree with no files to read.
    let store: ContentStore?

    /// `directory/name` for the first directory of `searchPath` where `name` resolves in the tree.
    func locate(_ name: String) -> String? {
        Self.searchPath.lazy.map { $0 + "/" + name }.first { tree.resolve($0) != nil }
    }

    /// Everything `object` (at `user`) needs, transitively: its interpreter, then each
    /// DT_NEEDED in order with what that library needs, each once. Names in `known` are taken
    /// as already handled (neither listed nor followed).
    func closure(of object: ELF.Object, neededBy user: String, known: Set<String> = []) throws(Failure) -> [Need] {
        var walk = Walk(seen: known)
        try walk.visit(object, user: user, in: self)
        return walk.needs
    }

    private struct Walk {
        var seen: Set<String>
        var interpreters: Set<String> = []
        var needs: [Need] = []

        mutating func visit(_ object: ELF.Object, user: String, in libraries: SharedLibraries) throws(Failure) {
            if let interpreter = object.interpreter, !interpreters.contains(interpreter) {
                guard libraries.tree.resolve(interpreter) != nil else {
                    throw .missingInterpreter(user: user, path: interpreter)
                }
                interpreters.insert(interpreter)
                needs.append(.interpreter(interpreter))
            }
            for name in object.needed where !seen.contains(name) {
                guard let path = libraries.locate(name) else { throw .missingLibrary(user: user, name: name) }
                seen.insert(name)
                needs.append(.library(name: name, path: path))
                if let library = try libraries.object(at: path) {
                    try visit(library, user: path, in: libraries)
                }
            }
        }
    }

    /// The ELF object the tree holds at `path` (symlinks followed); nil for a file that is
    /// not ELF (a linker script), which needs nothing.
    func object(at path: String) throws(Failure) -> ELF.Object? {
        guard let (resolved, node) = tree.resolve(path), let ref = node.content else { return nil }
        do {
            guard let store else { throw BuildError(stage: .boot, "no content store to read the image's files from") }
            let file = store.path(for: ref)
            guard Self.isELF(file) else { return nil }
            return try ELF.Object(path: file)
        } catch {
            throw .unreadable(path: resolved, cause: error)
        }
    }

    /// Whether the file starts with the ELF magic (0x7F 'E' 'L' 'F').
    static func isELF(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return [UInt8](handle.readData(ofLength: 4)) == [0x7F, 0x45, 0x4C, 0x46]
    }
}
