import ContentStore
import ELF
import FileTree

extension Pruner {
    /// Directories whose ELF objects are commands; a foreign object there is an error, not a
    /// silent removal. `/usr/libexec` counts at any depth (helpers live in subdirectories).
    static let commandDirectories: Set<String> = [
        "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin",
    ]

    static func isCommandPath(_ path: String) -> Bool {
        commandDirectories.contains(FileTree.parent(of: path)) || path.hasPrefix("/usr/libexec/")
    }

    /// Every ELF object that is not 64-bit little-endian x86-64 (i386 and x32 objects, AArch64
    /// firmware, ...), found by reading only the first 64 bytes of each regular file, plus the
    /// hard links that share their content and the symlinks left dangling.
    ///
    /// Throws, before removing anything, when a foreign object (or a link to one) sits in a
    /// command directory, or when it is a library whose SONAME a kept x86-64 object lists in
    /// DT_NEEDED and no x86-64 object in the tree provides that SONAME. (An x86-64 provider
    /// makes the foreign copy redundant: the loader never picks a library of another class or
    /// machine.) Paths under an `exempt` prefix are left alone, e.g. guest firmware.
    public func foreignArch(in tree: inout FileTree, exempt: [String] = []) throws(PruneError) -> PruneReport {
        func isExempt(_ path: String) -> Bool {
            exempt.contains { prefix in path == prefix || path.hasPrefix(prefix.hasSuffix("/") ? prefix : prefix + "/") }
        }
        var headers: [String: ELF.Header?] = [:]  // by sha256: most contents repeat rarely, but links do
        var native: [(path: String, ref: ContentStore.Ref)] = []
        var foreign: [String: (header: ELF.Header, ref: ContentStore.Ref)] = [:]
        for (path, node) in tree.entries {
            guard let ref = node.content, !isExempt(path) else { continue }
            let header: ELF.Header?
            if let cached = headers[ref.sha256] {
                header = cached
            } else {
                header = try quickHeader(path: path, ref: ref)
                headers[ref.sha256] = header
            }
            guard let header else { continue }
            if header.isNativeX8664 { native.append((path, ref)) } else { foreign[path] = (header, ref) }
        }
        if foreign.isEmpty { return PruneReport() }

        // Hard links to a foreign file go with it (otherwise the tree would hand the content on).
        var targets: [String: String] = [:]
        for (path, item) in foreign { targets[path] = Self.reason(item.header) }
        for (path, node) in tree.entries {
            if case let .hardlink(original) = node.kind, let item = foreign[original], !isExempt(path) {
                targets[path] = Self.reason(item.header)
            }
        }

        var problems: [PruneError] = []
        // Commands: the object itself, a hard link, or a symlink in a command directory that
        // resolves to a foreign object.
        for (path, node) in tree.entries where Self.isCommandPath(path) {
            // The object the command finally runs (resolve follows symlinks and hard links).
            let runs: String?
            switch node.kind {
            case .regular: runs = path
            case .symlink, .hardlink: runs = tree.resolve(path)?.path
            default: runs = nil
            }
            guard let runs, let item = foreign[runs] else { continue }
            problems.append(.foreignExecutable(path: path, origin: node.origin,
                                               architecture: item.header.architectureDescription,
                                               object: runs == path ? nil : runs))
        }
        problems += try neededLibraryProblems(foreign: foreign, native: native, tree: tree)
        if problems.count == 1, let only = problems.first { throw only }
        if problems.count > 1 { throw .several(problems) }
        return remove(targets, category: .foreignArch, from: &tree)
    }

    static func reason(_ header: ELF.Header) -> String {
        "\(header.architectureDescription) \(header.type) object; the image is ELF64 little-endian x86-64"
    }

    /// The ELF header of a stored file, or nil when it is not an ELF object (or too damaged to
    /// have a header; such a file is not this pass's business and stays).
    private func quickHeader(path: String, ref: ContentStore.Ref) throws(PruneError) -> ELF.Header? {
        guard ref.size >= 4 else { return nil }
        let source: ELF.FileSource
        do {
            source = try ELF.FileSource(path: store.path(for: ref))
        } catch {
            throw .contentMissing(path: path, ref: ref)
        }
        return try? ELF.Header.read(from: source)
    }

    /// Foreign libraries that kept native objects still need.
    private func neededLibraryProblems(foreign: [String: (header: ELF.Header, ref: ContentStore.Ref)],
                                       native: [(path: String, ref: ContentStore.Ref)],
                                       tree: FileTree) throws(PruneError) -> [PruneError] {
        let libraries = foreign.filter { $0.value.header.type == .shared }
        if libraries.isEmpty { return [] }
        // What the kept x86-64 objects need, and which names they provide themselves.
        var neededBy: [String: [String]] = [:]
        var provided: Set<String> = []
        var objects: [String: ELF.Object?] = [:]
        for (path, ref) in native {
            provided.insert(FileTree.name(of: path))
            let object = try cachedObject(path: path, ref: ref, cache: &objects)
            guard let object else { continue }
            if let soname = object.soname { provided.insert(soname) }
            for name in object.needed { neededBy[name, default: []].append(path) }
        }
        var problems: [PruneError] = []
        for path in libraries.keys.sorted(by: Self.bytewise) {
            guard let item = libraries[path] else { continue }
            let object = try cachedObject(path: path, ref: item.ref, cache: &objects)
            let soname = object?.soname ?? FileTree.name(of: path)
            let names = Set([soname, FileTree.name(of: path)])
            if !names.isDisjoint(with: provided) { continue }
            let users = names.flatMap { neededBy[$0] ?? [] }
            guard !users.isEmpty else { continue }
            let described = Set(users).sorted(by: Self.bytewise).map { user in
                tree[user]?.origin.map { "\(user) (from \($0))" } ?? user
            }
            problems.append(.foreignLibraryNeeded(path: path, soname: soname, origin: tree[path]?.origin,
                                                  architecture: item.header.architectureDescription, neededBy: described))
        }
        return problems
    }

    /// The dynamic section of a stored object, read lazily from the store; nil when it does not
    /// parse (a damaged object neither needs nor provides anything we can name).
    private func cachedObject(path: String, ref: ContentStore.Ref,
                              cache: inout [String: ELF.Object?]) throws(PruneError) -> ELF.Object? {
        if let cached = cache[ref.sha256] { return cached }
        let object: ELF.Object?
        do {
            object = try ELF.Object(path: store.path(for: ref))
        } catch let error {
            if case .io = error { throw .contentMissing(path: path, ref: ref) }
            object = nil
        }
        cache[ref.sha256] = object
        return object
    }
}
