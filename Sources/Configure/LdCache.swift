import ELF
import FileTree

extension Configure {
    /// `/etc/ld.so.cache` in glibc's current format, as `ldconfig` writes it, plus the SONAME
    /// symlinks ldconfig creates.
    ///
    /// Layout (glibc `sysdeps/generic/dl-cache.h`, all little-endian on x86-64):
    /// ```
    /// 0   char magic[17] "glibc-ld.so.cache" | char version[3] "1.1"
    /// 20  u32 nlibs | u32 len_strings | u8 flags (2 = little endian) | u8 pad[3]
    /// 32  u32 extension_offset | u32 unused[3]                                  (48 bytes)
    /// 48  file_entry_new[nlibs]: i32 flags | u32 key | u32 value | u32 osversion | u64 hwcap
    ///     string table (len_strings bytes; key/value are offsets from the file start;
    ///     tail-merged like ldconfig's stringtable.c)
    ///     pad to 4 | u32 magic 0xeaa42174 | u32 count | {u32 tag, u32 flags, u32 offset, u32 size}
    ///     generator text (tag 0), no terminating NUL
    /// ```
    /// Entries are sorted as ld.so's binary search expects (`_dl_cache_libcmp`, descending),
    /// then by flags descending, then in directory-scan order, as ldconfig's `compare` does.
    struct LdCache {
        struct Entry: Equatable {
            var soname: String
            var path: String
            var flags: Int32
        }

        var entries: [Entry] = []
        var linksCreated: [String] = []

        static let flagX8664 = Int32(0x0303)   // FLAG_ELF_LIBC6 | FLAG_X8664_LIB64
        static let flagI386 = Int32(0x0003)    // FLAG_ELF_LIBC6
        /// glibc's built-in directories on Debian amd64, after those of ld.so.conf.
        static let builtinDirectories = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"]

        /// Scans the directories, creates missing SONAME links in `tree`, returns the entries.
        static func build(tree: inout FileTree, io: TreeIO) throws(ConfigureError) -> LdCache {
            var cache = LdCache()
            var seen: Set<String> = []
            var directories: [(name: String, resolved: String)] = []
            for name in try configuredDirectories(tree: tree, io: io) + builtinDirectories {
                guard let (resolved, node) = tree.resolve(name), node.isDirectory, seen.insert(resolved).inserted else { continue }
                directories.append((name, resolved))
            }
            var scanned: [Entry] = []
            for directory in directories {
                scanned += try scan(directory: directory, tree: &tree, io: io, links: &cache.linksCreated)
            }
            let order = scanned.indices.sorted { a, b in
                let c = libcmp(scanned[a].soname, scanned[b].soname)
                if c != 0 { return c > 0 }
                if scanned[a].flags != scanned[b].flags { return scanned[a].flags > scanned[b].flags }
                return a < b
            }
            cache.entries = order.map { scanned[$0] }
            return cache
        }

        /// One directory, as ldconfig's `search_dir`: names starting `lib` or `ld-` containing
        /// `.so`; a symlink counts as a link (entered under its own name) only when it is named
        /// after the SONAME or is the `libfoo.so` development link, else it is another
        /// implementation of its SONAME; per SONAME a real
        /// file beats a link and a higher version (`_dl_cache_libcmp`) beats a lower one.
        static func scan(directory: (name: String, resolved: String), tree: inout FileTree, io: TreeIO,
                         links: inout [String]) throws(ConfigureError) -> [Entry] {
            var chosen: [String: (name: String, isLink: Bool, flags: Int32)] = [:]
            var order: [String] = []
            for path in tree.children(of: directory.resolved) {
                let name = FileTree.name(of: path)
                guard name.hasPrefix("lib") || name.hasPrefix("ld-"), name.contains(".so"),
                      let node = tree[path], let (_, target) = tree.resolve(path), target.content != nil,
                      let bytes = try io.bytes(at: path, in: tree),
                      let elf = try? ELF.Object(bytes: bytes), elf.header.endianness == .little else { continue }
                let flags: Int32
                switch (elf.header.elfClass, elf.header.machine) {
                case (.elf64, .x86_64): flags = flagX8664
                case (.elf32, .i386): flags = flagI386
                default: continue
                }
                var soname = elf.soname ?? name
                var isLink = node.symlinkTarget != nil
                if isLink && name != soname && !(name.hasSuffix(".so") && soname.hasPrefix(name)) { isLink = false }
                // A link that stays a link is entered under its own name (so `libz.so`, the
                // development link, gets an entry of its own, as ldconfig gives it).
                if isLink { soname = name }
                if let existing = chosen[soname] {
                    if (!isLink && existing.isLink) || (isLink == existing.isLink && libcmp(existing.name, name) < 0) {
                        chosen[soname] = (name, isLink, flags)
                    }
                } else {
                    chosen[soname] = (name, isLink, flags)
                    order.append(soname)
                }
            }
            var entries: [Entry] = []
            for soname in order {
                guard let library = chosen[soname] else { continue }
                if !library.isLink && library.name != soname && !soname.hasPrefix("ld-linux") {
                    let linkPath = directory.resolved + "/" + soname
                    let existing = tree[linkPath]
                    if existing == nil || (existing?.symlinkTarget.map { $0 != library.name } ?? false) {
                        try io.symlink(linkPath, to: library.name, in: &tree)
                        links.append(linkPath)
                    }
                }
                let base = directory.name == "/" ? "" : directory.name
                entries.append(Entry(soname: soname, path: base + "/" + soname, flags: library.flags))
            }
            return entries
        }

        /// Directories named in /etc/ld.so.conf, following `include` globs (sorted, as glob(3)).
        static func configuredDirectories(tree: FileTree, io: TreeIO) throws(ConfigureError) -> [String] {
            var result: [String] = []
            try readConf("/etc/ld.so.conf", tree: tree, io: io, into: &result, depth: 0)
            return result
        }

        private static func readConf(_ file: String, tree: FileTree, io: TreeIO, into result: inout [String],
                                     depth: Int) throws(ConfigureError) {
            guard depth < 16, let text = try io.text(at: file, in: tree) else { return }
            for raw in text.split(separator: "\n") {
                let line = (raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
                guard let first = words.first else { continue }
                if first == "include" {
                    for pattern in words.dropFirst() {
                        let absolute = pattern.hasPrefix("/") ? pattern : FileTree.parent(of: file) + "/" + pattern
                        for match in glob(absolute, in: tree) {
                            try readConf(match, tree: tree, io: io, into: &result, depth: depth + 1)
                        }
                    }
                } else if first == "hwcap" {
                    continue
                } else {
                    result += words.filter { $0.hasPrefix("/") }.map { $0.count > 1 ? $0.trimmingSuffix("/") : $0 }
                }
            }
        }

        /// Paths matching `pattern` (`*` and `?` in the last component), sorted bytewise.
        static func glob(_ pattern: String, in tree: FileTree) -> [String] {
            let directory = FileTree.parent(of: pattern)
            let namePattern = FileTree.name(of: pattern)
            guard namePattern.contains("*") || namePattern.contains("?") else {
                return tree.resolve(pattern) == nil ? [] : [pattern]
            }
            guard let (resolved, node) = tree.resolve(directory), node.isDirectory else { return [] }
            return tree.children(of: resolved).map { FileTree.name(of: $0) }
                .filter { !$0.hasPrefix(".") && wildcard(Array(namePattern.utf8)[...], Array($0.utf8)[...]) }
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                .map { (directory == "/" ? "" : directory) + "/" + $0 }
        }

        private static func wildcard(_ pattern: ArraySlice<UInt8>, _ name: ArraySlice<UInt8>) -> Bool {
            guard let first = pattern.first else { return name.isEmpty }
            if first == UInt8(ascii: "*") {
                var rest = name
                while true {
                    if wildcard(pattern.dropFirst(), rest) { return true }
                    if rest.isEmpty { return false }
                    rest = rest.dropFirst()
                }
            }
            guard let char = name.first, first == UInt8(ascii: "?") || first == char else { return false }
            return wildcard(pattern.dropFirst(), name.dropFirst())
        }

        /// glibc's `_dl_cache_libcmp`: digit runs compare numerically, a digit sorts after a
        /// non-digit, other bytes compare as (signed) chars.
        static func libcmp(_ left: String, _ right: String) -> Int {
            let a = Array(left.utf8).map { Int(Int8(bitPattern: $0)) } + [0]
            let b = Array(right.utf8).map { Int(Int8(bitPattern: $0)) } + [0]
            func isDigit(_ c: Int) -> Bool { c >= 48 && c <= 57 }
            var i = 0
            var j = 0
            while a[i] != 0 {
                if isDigit(a[i]) {
                    guard isDigit(b[j]) else { return 1 }
                    var x = 0
                    var y = 0
                    while isDigit(a[i]) { x = x &* 10 &+ (a[i] - 48); i += 1 }
                    while isDigit(b[j]) { y = y &* 10 &+ (b[j] - 48); j += 1 }
                    if x != y { return x - y }
                } else if isDigit(b[j]) {
                    return -1
                } else if a[i] != b[j] {
                    return a[i] - b[j]
                } else {
                    i += 1
                    j += 1
                }
            }
            return a[i] - b[j]
        }
    }
}
