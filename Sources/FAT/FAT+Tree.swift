extension FAT {
    /// The writer's input grouped by directory, every name checked, each directory's names
    /// sorted and given their short names. Index 0 is the root.
    struct Tree {
        struct Member {
            enum Kind: Equatable {
                case directory(Int)
                case file(Int)
            }

            var name: String
            var kind: Kind
            /// The 11-byte short name (`assignShortNames`).
            var shortName: [UInt8] = []
            /// Long-name entries before the short entry: 0 for an upper-case 8.3 name.
            var longNameEntries = 0

            var slots: Int { longNameEntries + 1 }
        }

        struct Directory {
            /// "" for the root, else "EFI/BOOT".
            var path: String
            var parent: Int?
            var members: [Member] = []
            /// `Name.key` of each member's name → its index, while members are added.
            var keys: [String: Int] = [:]
        }

        private(set) var directories = [Directory(path: "", parent: nil)]
        let files: [File]

        /// Checks every path (`Name.problem`), creates the directories they go through and
        /// those in `directories`, and refuses two names one directory would take for one.
        init(files: [File], directories: [String]) throws(FATError) {
            self.files = files
            for path in directories {
                _ = try directory(at: Self.components(path, trimmingTrailingSlash: true), path: path)
            }
            for (index, file) in files.enumerated() {
                let components = Self.components(file.path, trimmingTrailingSlash: false)
                guard let name = components.last, !name.isEmpty else {
                    throw .invalidName(path: file.path, reason: "a file needs a name after the last '/'")
                }
                guard UInt64(file.contents.count) <= UInt64(UInt32.max) else {
                    throw .fileTooLarge(path: file.path, bytes: UInt64(file.contents.count))
                }
                let parent = try directory(at: components.dropLast(), path: file.path)
                try add(Member(name: name, kind: .file(index)), to: parent, path: file.path)
            }
            for index in self.directories.indices {
                self.directories[index].members.sort { $0.name < $1.name }
                self.directories[index].keys = [:]
            }
        }

        /// The names of a path, without the leading "/" (and, for a directory, a trailing one).
        static func components(_ path: String, trimmingTrailingSlash: Bool) -> [String] {
            var trimmed = Substring(path).drop { $0 == "/" }
            if trimmingTrailingSlash { while trimmed.last == "/" { trimmed = trimmed.dropLast() } }
            guard !trimmed.isEmpty else { return [] }
            return trimmed.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        }

        /// The index of the directory `components` names, created with its parents as needed.
        private mutating func directory(at components: some Collection<String>, path: String) throws(FATError) -> Int {
            var current = 0
            for name in components {
                let key = Name.key(name)
                if let index = directories[current].keys[key] {
                    let member = directories[current].members[index]
                    guard case .directory(let child) = member.kind else {
                        throw .notADirectory(path: Self.join(directories[current].path, member.name))
                    }
                    guard member.name == name else {
                        throw .duplicateName(directory: directories[current].path, first: member.name, second: name)
                    }
                    current = child
                } else {
                    let child = directories.count
                    let childPath = Self.join(directories[current].path, name)
                    try add(Member(name: name, kind: .directory(child)), to: current, path: path)
                    directories.append(Directory(path: childPath, parent: current))
                    current = child
                }
            }
            return current
        }

        private mutating func add(_ member: Member, to directory: Int, path: String) throws(FATError) {
            if let problem = Name.problem(member.name) { throw .invalidName(path: path, reason: problem) }
            let key = Name.key(member.name)
            if let existing = directories[directory].keys[key] {
                throw .duplicateName(
                    directory: directories[directory].path, first: directories[directory].members[existing].name,
                    second: member.name)
            }
            directories[directory].keys[key] = directories[directory].members.count
            directories[directory].members.append(member)
        }

        static func join(_ parent: String, _ name: String) -> String {
            parent.isEmpty ? name : parent + "/" + name
        }

        /// Gives every member its short name: an upper-case 8.3 name is its own (and needs no
        /// long-name entries); every other name gets `ShortName.generate`'s, unique in its
        /// directory against the other short names and against every other name that folds to
        /// an 8.3 name (so `QEMU-D~1.EFI` cannot shadow a file of that long name).
        mutating func assignShortNames() throws(FATError) {
            for index in directories.indices {
                var members = directories[index].members
                var taken = Set<[UInt8]>()
                var folded: [[UInt8]: Int] = [:]
                for (position, member) in members.enumerated() {
                    if let exact = ShortName.exact(member.name) {
                        members[position].shortName = exact
                        taken.insert(exact)
                    } else if let shape = ShortName.exact(member.name, foldingCase: true) {
                        folded[shape] = position
                    }
                }
                for (position, member) in members.enumerated() where member.shortName.isEmpty {
                    let generated = ShortName.generate(for: member.name) { candidate in
                        taken.contains(candidate) || folded[candidate].map { $0 != position } == true
                    }
                    guard let generated else {
                        let path = Self.join(directories[index].path, member.name)
                        throw .invalidName(path: path, reason: "every short name up to ~999999 is taken in its directory")
                    }
                    members[position].shortName = generated
                    members[position].longNameEntries = LongNameEntry.count(for: member.name)
                    taken.insert(generated)
                }
                directories[index].members = members
            }
        }

        /// 32-byte slots directory `index` needs: "." and ".." (or the root's label), then each
        /// member's long-name entries and short entry.
        func slots(of index: Int, hasLabel: Bool) -> Int {
            let own = index == 0 ? (hasLabel ? 1 : 0) : 2
            return directories[index].members.reduce(own) { $0 + $1.slots }
        }

        /// Directory indices in pre-order (a directory, then each subdirectory's subtree in
        /// name order): the order directories get clusters, then files do.
        var preorder: [Int] {
            var order: [Int] = []
            var stack = [0]
            while let next = stack.popLast() {
                order.append(next)
                let children = directories[next].members.compactMap { member -> Int? in
                    if case .directory(let child) = member.kind { return child }
                    return nil
                }
                stack.append(contentsOf: children.reversed())
            }
            return order
        }
    }
}
