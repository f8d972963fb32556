import FileTree

extension Configure {
    /// The tmpfiles.d(5) lines that would write to the read-only root, done at build time.
    ///
    /// systemd-tmpfiles runs on every boot and creates what tmpfiles.d asks for; on an
    /// installed Debian it succeeds, but on the host the root is EROFS on dm-verity, so a line
    /// like `L+ /etc/mtab - - - - ../proc/self/mounts` or `q /srv 0755` fails on every boot
    /// and systemd-tmpfiles-setup reports an error. What the boot cannot create there, the
    /// build creates once. Lines for the writable places (/var, /run, /tmp and the kernel's
    /// file systems) are left to the boot, as are ones with specifiers (`%h`), which depend on
    /// the running host.
    ///
    /// Done: directories (`d`, `D`, `v`, `q`, `Q`) and symlinks (`L`, `L+`) that are absent,
    /// owner `-`, `root` or a number, the mode or 0755. Files are read from /usr/lib/tmpfiles.d
    /// and /etc/tmpfiles.d (a same-named file in /etc replaces the one in /usr), in file-name
    /// order; the first line for a path wins, as for systemd-tmpfiles.
    struct Tmpfiles {
        static let directories = ["/usr/lib/tmpfiles.d", "/etc/tmpfiles.d"]
        static let leftToTheBoot = ["/var", "/run", "/tmp", "/dev", "/proc", "/sys"]

        struct Entry: Equatable {
            var type: Character
            var path: String
            var mode: UInt16?
            var uid: UInt32
            var gid: UInt32
            var argument: String?
            var location: String
        }

        /// Entries from every tmpfiles.d file of the tree; lines it cannot do go to `skipped`.
        static func read(tree: FileTree, io: TreeIO) throws(ConfigureError) -> (entries: [Entry], skipped: [String]) {
            var files: [String: String] = [:]
            for directory in directories {
                guard let (resolved, node) = tree.resolve(directory), node.isDirectory else { continue }
                for path in tree.children(of: resolved) where path.hasSuffix(".conf") { files[FileTree.name(of: path)] = path }
            }
            var entries: [Entry] = []
            var skipped: [String] = []
            var seen: Set<String> = []
            for name in files.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                guard let path = files[name], let text = try io.text(at: path, in: tree) else { continue }
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let location = "\(path):\(number + 1)"
                    switch parse(Substring(line), location: location) {
                    case let .entry(entry):
                        if seen.insert(entry.path).inserted { entries.append(entry) }
                    case let .skip(reason):
                        skipped.append("\(location): \(reason): \(line.trimmingCharacters(in: [" ", "\t"]))")
                    case .ignore:
                        continue
                    }
                }
            }
            return (entries, skipped)
        }

        enum Parsed: Equatable { case entry(Entry), skip(String), ignore }

        static func parse(_ line: Substring, location: String) -> Parsed {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let typeField = fields.first, !typeField.hasPrefix("#"), fields.count >= 2 else { return .ignore }
            let path = fields[1]
            guard path.hasPrefix("/"), !leftToTheBoot.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) else { return .ignore }
            let modifiers = typeField.dropFirst()
            guard let type = typeField.first, "dDvqQL".contains(type),
                  modifiers.allSatisfy({ "+!-=~^".contains($0) }) else { return .ignore }
            if path.contains("%") { return .skip("specifiers depend on the running host") }
            // A leading ':' means "only when creating", which is all this does anyway.
            func field(_ index: Int) -> String? {
                guard index < fields.count, fields[index] != "-" else { return nil }
                return fields[index].hasPrefix(":") ? String(fields[index].dropFirst()) : fields[index]
            }
            guard let uid = owner(field(3)), let gid = owner(field(4)) else { return .skip("owner by name is not supported (use root or a number)") }
            var mode: UInt16?
            if let text = field(2) {
                guard let value = UInt16(text, radix: 8), value <= 0o7777 else { return .skip("mode \(text) is not plain octal") }
                mode = value
            }
            let argument = fields.count > 6 ? fields[6...].joined(separator: " ") : nil
            if type == "L" && (argument == nil || argument == "-") { return .skip("a link to /usr/share/factory is not supported") }
            return .entry(Entry(type: type, path: path, mode: mode, uid: uid, gid: gid, argument: argument, location: location))
        }

        private static func owner(_ text: String?) -> UInt32? {
            guard let text, text != "root" else { return 0 }
            return UInt32(text)
        }

        /// Creates what is absent; returns `PATH (tmpfiles.d FILE:LINE)` for each.
        static func apply(_ entries: [Entry], to tree: inout FileTree, io: TreeIO) throws(ConfigureError) -> [String] {
            var created: [String] = []
            for entry in entries {
                let path = TreeIO.canonical(entry.path, in: tree)
                guard tree[path] == nil, tree.resolve(FileTree.parent(of: path))?.node.isDirectory == true else { continue }
                if entry.type == "L", let target = entry.argument {
                    try io.symlink(path, to: target, in: &tree)
                } else {
                    try io.directory(path, mode: entry.mode ?? 0o755, uid: entry.uid, gid: entry.gid, in: &tree)
                }
                created.append("\(entry.path) (tmpfiles.d \(entry.location))")
            }
            return created
        }
    }
}
