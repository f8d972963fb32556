import FileTree

extension Configure {
    /// `/etc/passwd`, `/etc/group`, `/etc/shadow`, `/etc/gshadow`.
    ///
    /// Starts from base-passwd's masters (what `update-passwd` installs), then adds what
    /// packages would have created: `sysusers.d` lines (systemd-sysusers semantics) and
    /// `adduser`/`addgroup`/`useradd`/`groupadd` calls in postinst scripts. Requests with a
    /// fixed ID get it when free; the rest are allocated after all requests are known, sorted
    /// by name, from 999 downward (as systemd-sysusers does), skipping IDs in use — so the
    /// result depends only on the set of packages, not on the order they were unpacked.
    struct Users {
        struct Account: Hashable { var name: String; var uid: UInt32?; var gid: UInt32?; var group: String?
                                   var gecos: String; var home: String; var shell: String; var password: String }
        struct Group: Hashable { var name: String; var gid: UInt32?; var members: [String]; var password: String }

        var accounts: [Account] = []
        var groups: [Group] = []
        /// Group name a pending account's primary group is to be (nil: the account's own group).
        var created: (users: [String], groups: [String]) = ([], [])
        private var pendingMembers: [(user: String, group: String)] = []

        static let masterPasswd = "/usr/share/base-passwd/passwd.master"
        static let masterGroup = "/usr/share/base-passwd/group.master"

        /// `configured`: start from the tree's /etc files (and their shadow passwords) as an
        /// earlier configure run wrote them, not from base-passwd's masters.
        static func load(tree: FileTree, io: TreeIO, configured: Bool = false) throws(ConfigureError) -> Users {
            var users = Users()
            let masterPasswdText = configured ? nil : try io.text(at: masterPasswd, in: tree)
            let etcPasswdText = try io.text(at: "/etc/passwd", in: tree)
            let masterGroupText = configured ? nil : try io.text(at: masterGroup, in: tree)
            let etcGroupText = try io.text(at: "/etc/group", in: tree)
            let passwd = masterPasswdText ?? etcPasswdText ?? "root:*:0:0:root:/root:/bin/bash\n"
            let group = masterGroupText ?? etcGroupText ?? "root:*:0:\n"
            for (number, line) in passwd.split(separator: "\n").enumerated() where !line.isEmpty {
                let f = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                guard f.count == 7, let uid = UInt32(f[2]), let gid = UInt32(f[3]) else {
                    throw .malformed(file: masterPasswd, line: number + 1, message: "expected 7 ':'-separated fields with numeric IDs")
                }
                users.accounts.append(Account(name: f[0], uid: uid, gid: gid, group: nil, gecos: f[4], home: f[5],
                                              shell: f[6], password: f[1] == "x" ? "*" : f[1]))
            }
            for (number, line) in group.split(separator: "\n").enumerated() where !line.isEmpty {
                let f = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                guard f.count == 4, let gid = UInt32(f[2]) else {
                    throw .malformed(file: masterGroup, line: number + 1, message: "expected 4 ':'-separated fields with a numeric GID")
                }
                users.groups.append(Group(name: f[0], gid: gid, members: f[3].split(separator: ",").map(String.init),
                                          password: f[1] == "x" ? "*" : f[1]))
            }
            if configured {
                let shadow = Self.passwords(try io.text(at: "/etc/shadow", in: tree))
                let gshadow = Self.passwords(try io.text(at: "/etc/gshadow", in: tree))
                for index in users.accounts.indices { users.accounts[index].password = shadow[users.accounts[index].name] ?? "*" }
                for index in users.groups.indices { users.groups[index].password = gshadow[users.groups[index].name] ?? "*" }
            }
            return users
        }

        /// NAME → password field of a shadow or gshadow file.
        static func passwords(_ text: String?) -> [String: String] {
            var found: [String: String] = [:]
            for line in (text ?? "").split(separator: "\n") {
                let f = line.split(separator: ":", omittingEmptySubsequences: false)
                if f.count >= 2 { found[String(f[0])] = String(f[1]) }
            }
            return found
        }

        func hasUser(_ name: String) -> Bool { accounts.contains { $0.name == name } }
        func hasGroup(_ name: String) -> Bool { groups.contains { $0.name == name } }

        /// A group, unless one of that name exists. A fixed GID already taken becomes dynamic.
        mutating func addGroup(_ name: String, gid: UInt32?) {
            guard !hasGroup(name) else { return }
            let free = gid.flatMap { id in groups.contains { $0.gid == id } ? nil : id }
            groups.append(Group(name: name, gid: free, members: [], password: "!"))
            created.groups.append(name)
        }

        /// A system user. `group` nil: a group of the user's name (same ID when free);
        /// otherwise that existing group (created when missing).
        mutating func addUser(_ name: String, uid: UInt32?, group: String?, gecos: String, home: String, shell: String) {
            guard !hasUser(name) else { return }
            let freeUID = uid.flatMap { id in accounts.contains { $0.uid == id } ? nil : id }
            let primary = group ?? name
            if group == nil { addGroup(name, gid: freeUID) } else if !hasGroup(primary) { addGroup(primary, gid: nil) }
            accounts.append(Account(name: name, uid: freeUID, gid: nil, group: primary, gecos: gecos, home: home,
                                    shell: shell, password: "!"))
            created.users.append(name)
        }

        mutating func addMember(_ user: String, to group: String) {
            if !hasGroup(group) { addGroup(group, gid: nil) }
            pendingMembers.append((user, group))
        }

        /// Gives every pending group and account an ID, sorted by name, from 999 down.
        mutating func allocate() throws(ConfigureError) {
            var usedGIDs = Set(groups.compactMap(\.gid))
            var usedUIDs = Set(accounts.compactMap(\.uid))
            func next(_ free: (UInt32) -> Bool, what: String) throws(ConfigureError) -> UInt32 {
                var id: UInt32 = 999
                while id >= 100 {
                    if free(id) { return id }
                    id -= 1
                }
                throw .idsExhausted(what: what)
            }
            // Users first, so a user and its own group can share a number free in both tables.
            let order = accounts.indices.filter { accounts[$0].uid == nil }
                .sorted { accounts[$0].name.utf8.lexicographicallyPrecedes(accounts[$1].name.utf8) }
            for index in order {
                let account = accounts[index]
                let ownGroup = groups.firstIndex { $0.name == account.group && $0.gid == nil && account.group == account.name }
                let id = try next({ !usedUIDs.contains($0) && (ownGroup == nil || !usedGIDs.contains($0)) }, what: "user \(account.name)")
                accounts[index].uid = id
                usedUIDs.insert(id)
                if let ownGroup {
                    groups[ownGroup].gid = id
                    usedGIDs.insert(id)
                }
            }
            let groupOrder = groups.indices.filter { groups[$0].gid == nil }
                .sorted { groups[$0].name.utf8.lexicographicallyPrecedes(groups[$1].name.utf8) }
            for index in groupOrder {
                let id = try next({ !usedGIDs.contains($0) }, what: "group \(groups[index].name)")
                groups[index].gid = id
                usedGIDs.insert(id)
            }
            for index in accounts.indices where accounts[index].gid == nil {
                let name = accounts[index].group ?? accounts[index].name
                accounts[index].gid = groups.first { $0.name == name }?.gid ?? 65534
            }
            for (user, group) in pendingMembers {
                guard let index = groups.firstIndex(where: { $0.name == group }),
                      !groups[index].members.contains(user) else { continue }
                groups[index].members.append(user)
            }
            pendingMembers = []
        }

        func passwdText() -> String {
            accounts.map { "\($0.name):x:\($0.uid ?? 0):\($0.gid ?? 0):\($0.gecos):\($0.home):\($0.shell)\n" }.joined()
        }

        func groupText() -> String {
            groups.map { "\($0.name):x:\($0.gid ?? 0):\($0.members.joined(separator: ","))\n" }.joined()
        }

        func shadowText(lastChange: Int?) -> String {
            let day = lastChange.map(String.init) ?? ""
            return accounts.map { "\($0.name):\($0.password):\(day):0:99999:7:::\n" }.joined()
        }

        func gshadowText() -> String {
            groups.map { "\($0.name):\($0.password)::\($0.members.joined(separator: ","))\n" }.joined()
        }

        func write(to tree: inout FileTree, io: inout TreeIO, lastChange: Int?) throws(ConfigureError) {
            let shadowGID = groups.first { $0.name == "shadow" }?.gid ?? 42
            try io.write(passwdText(), at: "/etc/passwd", mode: 0o644, in: &tree)
            try io.write(groupText(), at: "/etc/group", mode: 0o644, in: &tree)
            try io.write(shadowText(lastChange: lastChange), at: "/etc/shadow", mode: 0o640, gid: shadowGID, in: &tree)
            try io.write(gshadowText(), at: "/etc/gshadow", mode: 0o640, gid: shadowGID, in: &tree)
        }
    }
}
