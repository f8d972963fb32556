import Debian
import FileTree

extension Configure {
    /// `systemctl enable` done on the tree: reads a unit's `[Install]` section and makes the
    /// links systemctl would make under /etc/systemd/system — `WantedBy=` → `T.wants/U`,
    /// `RequiredBy=` → `T.requires/U`, `Alias=` → `/etc/systemd/system/A`, `Also=` enabled too.
    /// Links point at the unit file's path under /usr/lib/systemd/system (systemd ≥ 252 with
    /// merged /usr writes exactly that). Templates: `foo@.service` enables `foo@INSTANCE` for
    /// `DefaultInstance=`, `foo@bar.service` enables that instance of `foo@.service`.
    struct Units {
        static let searchPath = ["/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"]
        static let unitDirectory = "/etc/systemd/system"
        static let suffixes = [".service", ".socket", ".target", ".timer", ".path", ".mount", ".automount",
                               ".swap", ".slice", ".scope", ".device"]

        let tree: FileTree
        let io: TreeIO
        private(set) var created: [String] = []
        private var done: Set<String> = []

        init(tree: FileTree, io: TreeIO) {
            self.tree = tree
            self.io = io
        }

        /// The unit file for `name` (a template's file for an instance), by search path.
        func find(_ name: String) -> String? {
            for directory in Self.searchPath {
                for candidate in [name, Self.template(of: name)].compactMap({ $0 }) {
                    let path = directory + "/" + candidate
                    if let (_, node) = tree.resolve(path), node.content != nil {
                        // Report the path as a systemd path (/usr/lib/..., not through /lib).
                        return directory == "/lib/systemd/system" ? "/usr/lib/systemd/system/" + candidate : path
                    }
                }
            }
            return nil
        }

        /// `foo@bar.service` → `foo@.service`; nil for non-instances.
        static func template(of name: String) -> String? {
            guard let at = name.firstIndex(of: "@"), let dot = name.lastIndex(of: "."), at < dot,
                  name.index(after: at) != dot else { return nil }
            return String(name[...at]) + String(name[dot...])
        }

        static func isValid(_ name: String) -> Bool {
            !name.isEmpty && !name.contains("/") && suffixes.contains { name.hasSuffix($0) && name.count > $0.count }
        }

        mutating func enable(_ name: String, in tree: inout FileTree) throws(ConfigureError) {
            guard Self.isValid(name) else { throw .badUnitName(name) }
            guard done.insert(name).inserted else { return }
            guard let file = find(name) else { throw .unknownUnit(name, searched: Self.searchPath) }
            let install = try installSection(file)
            let fileName = FileTree.name(of: file)
            let isTemplate = fileName.contains("@.")
            var instanceName = name
            if isTemplate && name == fileName {
                // Enabling the template itself enables DefaultInstance=, if any.
                guard let instance = install["DefaultInstance"]?.last else { return try linkAliases(install, file, tree: &tree) }
                guard let at = fileName.firstIndex(of: "@") else { return }
                instanceName = String(fileName[...at]) + instance + String(fileName[fileName.index(after: at)...])
            }
            for (key, directory) in [("WantedBy", ".wants"), ("RequiredBy", ".requires"), ("UpheldBy", ".upholds")] {
                for target in install[key] ?? [] {
                    try link("\(Self.unitDirectory)/\(target)\(directory)/\(instanceName)", to: file, tree: &tree)
                }
            }
            try linkAliases(install, file, tree: &tree)
            for also in install["Also"] ?? [] { try enable(also, in: &tree) }
        }

        private mutating func linkAliases(_ install: [String: [String]], _ file: String,
                                          tree: inout FileTree) throws(ConfigureError) {
            for alias in install["Alias"] ?? [] where Self.isValid(alias) {
                try link("\(Self.unitDirectory)/\(alias)", to: file, tree: &tree)
            }
        }

        mutating func setDefaultTarget(_ target: String, in tree: inout FileTree) throws(ConfigureError) {
            guard target.hasSuffix(".target"), Self.isValid(target) else { throw .badUnitName(target) }
            guard let file = find(target) else { throw .unknownUnit(target, searched: Self.searchPath) }
            try link("\(Self.unitDirectory)/default.target", to: file, tree: &tree)
        }

        private mutating func link(_ path: String, to target: String, tree: inout FileTree) throws(ConfigureError) {
            if tree[path]?.symlinkTarget == target { return }
            try io.symlink(path, to: target, in: &tree)
            created.append(path)
        }

        /// `[Install]` keys → values (space-separated lists split; an empty assignment resets).
        func installSection(_ file: String) throws(ConfigureError) -> [String: [String]] {
            guard let text = try io.text(at: file, in: tree) else { throw .missingFile(file, needed: "enabling it") }
            var result: [String: [String]] = [:]
            var inInstall = false
            for raw in Configure.logicalLines(text) {
                let line = raw.text.trimmed()
                if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
                if line.hasPrefix("[") { inInstall = line == "[Install]"; continue }
                guard inInstall, let equals = line.firstIndex(of: "=") else { continue }
                let key = String(line[..<equals]).trimmed()
                let values = line[line.index(after: equals)...].split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                if values.isEmpty { result[key] = [] } else { result[key, default: []] += values }
            }
            return result
        }

        /// Units packages enable in postinst: dh_installsystemd's `deb-systemd-helper enable 'U'`.
        /// Sorted by package name, then in script order; `origin` says which package asked.
        ///
        /// An enable inside `if deb-systemd-helper debian-installed 'U'` is left out and listed
        /// in `upgradeOnly`: dh_installsystemd writes that guard for units installed with
        /// `--no-enable` (openssh-server's ssh.socket), which a first install never enables;
        /// enabling ssh.socket beside ssh.service would make the two fight over port 22.
        static func packageEnables(packages: [InstalledPackage])
            -> (names: [String], origin: [String: String], upgradeOnly: [String]) {
            var names: [String] = []
            var origin: [String: String] = [:]
            var upgradeOnly: [String] = []
            for package in packages {
                guard let script = package.scripts["postinst"] else { continue }
                var depth = 0
                var guardDepth: Int?
                for (line, text) in Configure.logicalLines(script) {
                    let trimmed = text.trimmed()
                    if trimmed.hasPrefix("if "), !trimmed.hasSuffix("fi"), !trimmed.contains("; fi;") {
                        depth += 1
                        if guardDepth == nil, Configure.command("deb-systemd-helper", in: text)?.words.contains("debian-installed") == true {
                            guardDepth = depth
                        }
                    }
                    if trimmed == "fi" || trimmed.hasPrefix("fi ") || trimmed.hasPrefix("fi;") {
                        if depth == guardDepth { guardDepth = nil }
                        depth -= 1
                    }
                    guard let (words, variable) = Configure.command("deb-systemd-helper", in: text), !variable else { continue }
                    let arguments = words.filter { !$0.hasPrefix("-") }
                    guard arguments.first == "enable" else { continue }
                    if guardDepth != nil {
                        upgradeOnly += arguments.dropFirst().map { "\(package.name)/postinst:\(line): enable \($0) only on upgrade (debian-installed guard); a first install leaves it disabled" }
                        continue
                    }
                    for unit in arguments.dropFirst() where origin[unit] == nil {
                        names.append(unit)
                        origin[unit] = package.name
                    }
                }
            }
            return (names, origin, upgradeOnly)
        }
    }
}
