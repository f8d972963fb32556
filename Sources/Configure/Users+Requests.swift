import Debian
import FileTree

extension Configure.Users {
    static let sysusersDirectories = ["/usr/lib/sysusers.d", "/etc/sysusers.d"]

    /// sysusers.d(5): `u NAME ID GECOS HOME SHELL`, `g NAME ID`, `m USER GROUP`, `r - RANGE`.
    /// Files from /usr/lib/sysusers.d, overridden by same-named files in /etc/sysusers.d,
    /// read in file-name order. `-` means default; an ID of `-` or a path means "allocate";
    /// `UID:GID` and `UID:GROUPNAME` pick the primary group. `r` ranges are not honoured (the
    /// fixed 999→100 rule applies) — noted in the report by the caller.
    mutating func addSysusers(tree: FileTree, io: Configure.TreeIO) throws(Configure.ConfigureError) {
        var files: [String: String] = [:]
        for directory in Self.sysusersDirectories {
            guard let (resolved, node) = tree.resolve(directory), node.isDirectory else { continue }
            for path in tree.children(of: resolved) where path.hasSuffix(".conf") {
                files[FileTree.name(of: path)] = path
            }
        }
        for name in files.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            guard let path = files[name], let text = try io.text(at: path, in: tree) else { continue }
            try addSysusers(text: text, file: path)
        }
    }

    mutating func addSysusers(text: String, file: String) throws(Configure.ConfigureError) {
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let words = Configure.shellWords(trimmed).words
            guard words.count >= 2 else {
                throw .malformed(file: file, line: number + 1, message: "expected 'TYPE NAME ...'")
            }
            func field(_ index: Int) -> String? {
                guard index < words.count, words[index] != "-" else { return nil }
                return words[index]
            }
            let type = words[0].trimmingSuffix("!")
            switch type {
            case "g":
                addGroup(words[1], gid: field(2).flatMap { UInt32($0) })
            case "u":
                var uid: UInt32?
                var group: String?
                if let id = field(2) {
                    let parts = id.split(separator: ":", maxSplits: 1).map(String.init)
                    uid = UInt32(parts[0])
                    if parts.count == 2 {
                        if let gid = UInt32(parts[1]) {
                            group = groups.first { $0.gid == gid }?.name
                            if group == nil { addGroup(words[1], gid: gid); group = words[1] }
                        } else {
                            group = parts[1]
                        }
                    }
                }
                addUser(words[1], uid: uid, group: group, gecos: field(3) ?? "", home: field(4) ?? "/",
                        shell: field(5) ?? (uid == 0 ? "/bin/sh" : "/usr/sbin/nologin"))
            case "m":
                guard let group = field(2) else {
                    throw .malformed(file: file, line: number + 1, message: "'m' needs a user and a group")
                }
                addMember(words[1], to: group)
            case "r":
                continue
            default:
                throw .malformed(file: file, line: number + 1, message: "unknown sysusers type '\(words[0])' (expected u, g, m or r)")
            }
        }
    }

    /// `adduser`/`addgroup` (Debian's), `useradd`/`groupadd` (shadow's) in postinst scripts.
    /// Calls whose arguments hold `$` or backquotes are listed in `skipped`.
    mutating func addScriptRequests(packages: [InstalledPackage], skipped: inout [String]) {
        for package in packages {
            guard let script = package.scripts["postinst"] else { continue }
            for (line, text) in Configure.logicalLines(script) {
                for command in ["adduser", "addgroup", "useradd", "groupadd"] {
                    guard let (words, variable) = Configure.command(command, in: text) else { continue }
                    if variable {
                        skipped.append("\(package.name)/postinst:\(line): \(command) with a shell variable: \(text.trimmed())")
                        continue
                    }
                    if !apply(command: command, words) {
                        skipped.append("\(package.name)/postinst:\(line): \(command) form not understood: \(text.trimmed())")
                    }
                }
            }
        }
    }

    /// One command's arguments. Returns false for a form it does not understand.
    mutating func apply(command: String, _ words: [String]) -> Bool {
        var options: [String: String] = [:]
        var flags: Set<String> = []
        var names: [String] = []
        let valued: Set<String> = ["--home", "--shell", "--gecos", "--comment", "--uid", "--gid", "--ingroup",
                                   "--firstuid", "--lastuid", "--firstgid", "--lastgid", "--conf", "--add-extra-groups",
                                   "-d", "-s", "-c", "-u", "-g", "-G", "-K", "-k", "-p", "-e", "-f", "-R", "-P",
                                   "--groups", "--home-dir", "--key", "--password", "--root", "--prefix"]
        var index = 0
        while index < words.count {
            let word = words[index]
            if word.hasPrefix("-") {
                let key = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
                if word.contains("=") && word.hasPrefix("--") {
                    options[key] = String(word.dropFirst(key.count + 1))
                } else if valued.contains(word), index + 1 < words.count {
                    options[word] = words[index + 1]
                    index += 1
                } else {
                    flags.insert(word)
                }
            } else {
                names.append(word)
            }
            index += 1
        }
        func value(_ keys: String...) -> String? { keys.lazy.compactMap { options[$0] }.first }
        switch command {
        case "addgroup", "groupadd":
            guard names.count == 1 else {
                if command == "addgroup", names.count == 2 { addMember(names[0], to: names[1]); return true }
                return false
            }
            addGroup(names[0], gid: value("--gid", "-g").flatMap { UInt32($0) })
            return true
        case "adduser":
            let system = flags.contains("--system")
            if !system && names.count == 2 { addMember(names[0], to: names[1]); return true }
            guard names.count == 1 else { return false }
            if flags.contains("--group") && !system { addGroup(names[0], gid: value("--gid").flatMap { UInt32($0) }); return true }
            guard system else { return false }
            let group: String? = flags.contains("--group") ? nil
                : value("--ingroup") ?? value("--gid").flatMap { id in groups.first { $0.gid == UInt32(id) }?.name } ?? "nogroup"
            addUser(names[0], uid: value("--uid").flatMap { UInt32($0) }, group: group,
                    gecos: value("--gecos", "--comment") ?? "", home: value("--home") ?? "/home/\(names[0])",
                    shell: value("--shell") ?? "/usr/sbin/nologin")
            return true
        case "useradd":
            guard names.count == 1, flags.contains("-r") || flags.contains("--system") else { return false }
            var group = value("-g", "--gid")
            if let id = group.flatMap({ UInt32($0) }) { group = groups.first { $0.gid == id }?.name }
            if group == nil && (flags.contains("-N") || flags.contains("--no-user-group")) { group = "users" }
            addUser(names[0], uid: value("-u", "--uid").flatMap { UInt32($0) }, group: group,
                    gecos: value("-c", "--comment") ?? "", home: value("-d", "--home-dir") ?? "/home/\(names[0])",
                    shell: value("-s", "--shell") ?? "/usr/sbin/nologin")
            for extra in (value("-G", "--groups") ?? "").split(separator: ",") { addMember(names[0], to: String(extra)) }
            return true
        default:
            return false
        }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
    func trimmed() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
