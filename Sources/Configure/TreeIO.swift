import ContentStore
import FileTree

extension Configure {
    /// Reading and writing files of the tree through the content store, with the conventions
    /// of this stage: writes are owned by root unless told otherwise, carry origin `configure`,
    /// and go to the canonical path (parents resolved through merged-/usr symlinks), because
    /// `FileTree.insert` refuses to write through a symlink.
    struct TreeIO {
        let store: ContentStore

        init(store: ContentStore) { self.store = store }

        /// The bytes of the regular file `path` names (after symlinks), or nil when there is none.
        func bytes(at path: String, in tree: FileTree) throws(ConfigureError) -> [UInt8]? {
            guard let (_, node) = tree.resolve(path), let ref = node.content else { return nil }
            do { return try store.read(ref) } catch { throw .store("\(path): \(error)") }
        }

        func text(at path: String, in tree: FileTree) throws(ConfigureError) -> String? {
            try bytes(at: path, in: tree).map { String(decoding: $0, as: UTF8.self) }
        }

        /// `path` with its parent directory resolved through symlinks (`/lib/x/y` → `/usr/lib/x/y`).
        static func canonical(_ path: String, in tree: FileTree) -> String {
            let parent = FileTree.parent(of: path)
            guard parent != "/", let (resolved, node) = tree.resolve(parent), node.isDirectory else { return path }
            return resolved == "/" ? "/" + FileTree.name(of: path) : resolved + "/" + FileTree.name(of: path)
        }

        func write(_ bytes: [UInt8], at path: String, mode: UInt16, uid: UInt32 = 0, gid: UInt32 = 0,
                   in tree: inout FileTree) throws(ConfigureError) {
            let ref: ContentStore.Ref
            do { ref = try store.put(bytes) } catch { throw .store("cannot store \(path): \(error)") }
            try insert(FileTree.Node(.regular(ref), mode: mode, uid: uid, gid: gid, origin: Configure.origin),
                       at: Self.canonical(path, in: tree), in: &tree)
        }

        func write(_ text: String, at path: String, mode: UInt16, uid: UInt32 = 0, gid: UInt32 = 0,
                   in tree: inout FileTree) throws(ConfigureError) {
            try write(Array(text.utf8), at: path, mode: mode, uid: uid, gid: gid, in: &tree)
        }

        func symlink(_ path: String, to target: String, in tree: inout FileTree) throws(ConfigureError) {
            try insert(FileTree.Node(.symlink(target), mode: 0o777, origin: Configure.origin),
                       at: Self.canonical(path, in: tree), in: &tree)
        }

        func directory(_ path: String, mode: UInt16 = 0o755, uid: UInt32 = 0, gid: UInt32 = 0,
                       in tree: inout FileTree) throws(ConfigureError) {
            let path = Self.canonical(path, in: tree)
            if let existing = tree[path], existing.isDirectory { return }
            try insert(FileTree.Node(.directory, mode: mode, uid: uid, gid: gid, origin: Configure.origin), at: path, in: &tree)
        }

        private func insert(_ node: FileTree.Node, at path: String, in tree: inout FileTree) throws(ConfigureError) {
            do { try tree.insert(node, at: path) } catch { throw .tree(error.description) }
        }
    }
}

extension Configure {
    /// Maintainer-script text as logical commands: comments dropped, `\` continuations joined,
    /// each with the line number it started on.
    static func logicalLines(_ script: String) -> [(line: Int, text: String)] {
        var result: [(Int, String)] = []
        var pending = ""
        var start = 0
        for (index, raw) in script.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if pending.isEmpty {
                start = index + 1
                if line.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("#") { continue }
            }
            if line.hasSuffix("\\") {
                line.removeLast()
                pending += line + " "
                continue
            }
            pending += line
            result.append((start, pending))
            pending = ""
        }
        if !pending.isEmpty { result.append((start, pending)) }
        return result
    }

    /// Splits a shell command line into words: single and double quotes, backslash escapes;
    /// stops at `;`, `|`, `&`, `>`, `<` and `#` outside quotes (the rest is another command or
    /// a redirection). `hasVariable` says whether an unquoted or double-quoted `$` or a
    /// backquote appeared, so callers can refuse words they cannot resolve.
    static func shellWords(_ text: Substring) -> (words: [String], hasVariable: Bool) {
        var words: [String] = []
        var current = ""
        var inWord = false
        var variable = false
        var quote: Character?
        var iterator = text.makeIterator()
        while let char = iterator.next() {
            if let open = quote {
                if char == open { quote = nil; continue }
                if open == "\"" && (char == "$" || char == "`") { variable = true }
                if open == "\"" && char == "\\", let next = iterator.next() { current.append(next); continue }
                current.append(char)
                continue
            }
            switch char {
            case "'", "\"":
                quote = char
                inWord = true
            case "\\":
                if let next = iterator.next() { current.append(next) }
                inWord = true
            case " ", "\t":
                if inWord { words.append(current); current = ""; inWord = false }
            case ";", "|", "&", ">", "<":
                if inWord { words.append(current) }
                return (words, variable)
            case "#" where !inWord:
                return (words, variable)
            default:
                if char == "$" || char == "`" { variable = true }
                current.append(char)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return (words, variable)
    }

    /// The words of `line` from the first occurrence of `command` as a command word (after
    /// `if`, `then`, `in_sysroot`, `!` and the like), or nil when it does not occur.
    static func command(_ command: String, in line: String) -> (words: [String], hasVariable: Bool)? {
        var searchStart = line.startIndex
        while let range = line.range(of: command, range: searchStart..<line.endIndex) {
            searchStart = range.upperBound
            if let last = line[..<range.lowerBound].last,
               !(last == " " || last == "\t" || last == ";" || last == "(" || last == "&" || last == "|") {
                continue
            }
            let parsed = shellWords(line[range.lowerBound...])
            guard parsed.words.first == command, parsed.words.count > 1 else { continue }
            return (Array(parsed.words.dropFirst()), parsed.hasVariable)
        }
        return nil
    }
}
