import Debian
import FileTree

extension Configure {
    /// `update-alternatives --install` calls found in maintainer scripts, done on the tree.
    ///
    /// Choice rule, per NAME (auto mode): among registrations whose PATH exists in the tree,
    /// the highest priority wins; on equal priority the bytewise-smallest PATH wins (a rule
    /// that does not depend on unpack order). Made: `/etc/alternatives/NAME -> PATH`,
    /// `LINK -> /etc/alternatives/NAME`, the same for each slave whose path exists, and the
    /// admin file `/var/lib/dpkg/alternatives/NAME` in update-alternatives' format:
    /// ```
    /// auto \n LINK \n (SLAVE-NAME \n SLAVE-LINK \n)* \n
    /// (PATH \n PRIORITY \n (SLAVE-PATH or empty \n)*)* \n
    /// ```
    /// with slaves sorted by name and choices by path.
    struct Alternatives {
        struct Slave: Hashable { var link: String; var name: String; var path: String }
        struct Registration: Hashable {
            var link: String
            var name: String
            var path: String
            var priority: Int
            var slaves: [Slave]
            var package: String
        }

        var registrations: [Registration] = []
        var skipped: [String] = []

        static let scriptOrder = ["preinst", "postinst", "prerm", "postrm", "config"]

        static func parse(packages: [InstalledPackage]) -> Alternatives {
            var result = Alternatives()
            for package in packages {
                for scriptName in scriptOrder {
                    guard let script = package.scripts[scriptName] else { continue }
                    for (line, text) in Configure.logicalLines(script) {
                        guard let (words, variable) = Configure.command("update-alternatives", in: text),
                              words.contains("--install") else { continue }
                        let location = "\(package.name)/\(scriptName):\(line)"
                        if variable {
                            result.skipped.append("\(location): update-alternatives with a shell variable: \(text.trimmed())")
                            continue
                        }
                        guard let registration = parseInstall(words, package: package.name) else {
                            result.skipped.append("\(location): update-alternatives form not understood: \(text.trimmed())")
                            continue
                        }
                        result.registrations.append(registration)
                    }
                }
            }
            return result
        }

        static func parseInstall(_ words: [String], package: String) -> Registration? {
            guard let start = words.firstIndex(of: "--install"), start + 4 < words.count,
                  let priority = Int(words[start + 4]) else { return nil }
            var registration = Registration(link: words[start + 1], name: words[start + 2], path: words[start + 3],
                                            priority: priority, slaves: [], package: package)
            var index = start + 5
            while index < words.count {
                if words[index] == "--slave" || words[index] == "--follower" {
                    guard index + 3 < words.count else { return nil }
                    registration.slaves.append(Slave(link: words[index + 1], name: words[index + 2], path: words[index + 3]))
                    index += 4
                } else if words[index].hasPrefix("--") {
                    index += 1   // --quiet and the like, placed after --install
                } else {
                    return nil
                }
            }
            guard [registration.link, registration.path].allSatisfy({ $0.hasPrefix("/") }),
                  !registration.name.contains("/") else { return nil }
            return registration
        }

        /// Applies the choices to the tree; returns NAME → chosen PATH.
        func apply(to tree: inout FileTree, io: inout TreeIO) throws(ConfigureError) -> [String: String] {
            var byName: [String: [Registration]] = [:]
            for registration in registrations { byName[registration.name, default: []].append(registration) }
            var chosen: [String: String] = [:]
            for name in byName.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                // One choice per path (a later registration of the same path replaces it).
                var perPath: [String: Registration] = [:]
                for registration in byName[name] ?? [] where tree.resolve(registration.path) != nil {
                    perPath[registration.path] = registration
                }
                let choices = perPath.values.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
                guard let best = choices.max(by: { a, b in
                    a.priority != b.priority ? a.priority < b.priority : a.path.utf8.lexicographicallyPrecedes(b.path.utf8) == false
                }) else { continue }
                chosen[name] = best.path
                try io.symlink("/etc/alternatives/\(name)", to: best.path, in: &tree)
                try link(best.link, to: "/etc/alternatives/\(name)", tree: &tree, io: io)
                for slave in best.slaves where tree.resolve(slave.path) != nil {
                    try io.symlink("/etc/alternatives/\(slave.name)", to: slave.path, in: &tree)
                    try link(slave.link, to: "/etc/alternatives/\(slave.name)", tree: &tree, io: io)
                }
                try io.write(Self.adminFile(link: best.link, choices: choices), at: "/var/lib/dpkg/alternatives/\(name)",
                             mode: 0o644, in: &tree)
            }
            return chosen
        }

        /// Never replaces a real file with a link (update-alternatives refuses too).
        private func link(_ path: String, to target: String, tree: inout FileTree, io: TreeIO) throws(ConfigureError) {
            let canonical = TreeIO.canonical(path, in: tree)
            if let existing = tree[canonical], existing.symlinkTarget == nil { return }
            try io.symlink(canonical, to: target, in: &tree)
        }

        static func adminFile(link: String, choices: [Registration]) -> String {
            var slaveLinks: [String: String] = [:]
            for choice in choices { for slave in choice.slaves where slaveLinks[slave.name] == nil { slaveLinks[slave.name] = slave.link } }
            let slaveNames = slaveLinks.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            var out = "auto\n\(link)\n"
            for name in slaveNames { out += "\(name)\n\(slaveLinks[name] ?? "")\n" }
            out += "\n"
            for choice in choices {
                out += "\(choice.path)\n\(choice.priority)\n"
                for name in slaveNames { out += (choice.slaves.first { $0.name == name }?.path ?? "") + "\n" }
            }
            return out + "\n"
        }
    }
}
