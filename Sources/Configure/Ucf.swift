import Debian
import FileTree

extension Configure {
    /// `ucf NEW DEST` and `ucfr PACKAGE DEST` calls in postinst scripts, done on the tree.
    ///
    /// A package that keeps a configuration file out of dpkg's conffiles ships a template and
    /// has ucf install it (openssh-server: /usr/share/openssh/sshd_config → /etc/ssh/sshd_config).
    /// On a first install ucf copies NEW to DEST when DEST is absent and keeps a DEST that is
    /// already there (ucf's non-interactive answer: keep the local version); so does this,
    /// with NEW's mode and owner (ucf copies with `cp -p`). `ucfr` only registers the file
    /// with its package: that goes to /var/lib/ucf/registry (`PACKAGE PATH` lines, as ucfr
    /// writes them). ucf's hash file is not written: nothing runs ucf on an immutable host.
    ///
    /// Arguments are resolved by `ScriptVariables` (literal assignments and a `mktemp` copy of
    /// a template); a call with a word that stays unresolved goes to `skipped`, and so do the
    /// script's in-place edits of a template copy, which depend on debconf answers.
    struct Ucf {
        struct Install: Hashable { var source: String; var destination: String; var location: String }

        var installs: [Install] = []
        /// PATH → PACKAGE, from ucfr.
        var registrations: [String: String] = [:]
        var skipped: [String] = []

        static let valuedOptions: Set<String> = ["--sum-file", "--src-dir", "-s", "--state-dir"]

        static func parse(packages: [InstalledPackage]) -> Ucf {
            var result = Ucf()
            for package in packages {
                guard let script = package.scripts["postinst"] else { continue }
                var variables = ScriptVariables()
                for (line, text) in Configure.logicalLines(script) {
                    let location = "\(package.name)/postinst:\(line)"
                    variables.observe(text)
                    if let edit = variables.templateEdit(in: text) {
                        result.skipped.append("\(location): edit of the copy of \(edit) not applied (it depends on debconf answers): \(text.trimmed())")
                    }
                    if let (words, _) = Configure.command("ucf", in: text) {
                        result.parseUcf(words, variables: variables, location: location, text: text)
                    }
                    if let (words, _) = Configure.command("ucfr", in: text) {
                        result.parseUcfr(words, variables: variables, location: location, text: text)
                    }
                }
            }
            return result
        }

        private mutating func parseUcf(_ words: [String], variables: ScriptVariables, location: String, text: String) {
            var positional: [String] = []
            var index = 0
            while index < words.count {
                let word = words[index]
                if Self.valuedOptions.contains(word) {
                    index += 2
                    continue
                }
                if word == "--purge" || word == "-p" || word == "-n" || word == "--no-action" { return }
                if word.hasPrefix("-") && word != "--" {
                    guard ["--three-way", "--debconf-ok", "-v", "--verbose"].contains(word) || word.hasPrefix("--debug")
                            || word.hasPrefix("-d") || word.hasPrefix("--sum-file=") || word.hasPrefix("--state-dir=")
                            || word.hasPrefix("--src-dir=") else {
                        skipped.append("\(location): ucf option \(word) not understood: \(text.trimmed())")
                        return
                    }
                } else if word != "--" {
                    positional.append(word)
                }
                index += 1
            }
            guard let (source, destination) = pair(positional, command: "ucf", form: "NEW DEST", variables: variables,
                                                   location: location, text: text) else { return }
            guard source.hasPrefix("/"), destination.hasPrefix("/") else {
                skipped.append("\(location): ucf with a relative path: \(text.trimmed())")
                return
            }
            installs.append(Install(source: source, destination: destination, location: location))
        }

        private mutating func parseUcfr(_ words: [String], variables: ScriptVariables, location: String, text: String) {
            if words.contains("--purge") || words.contains("-p") { return }
            guard let (package, path) = pair(words.filter { !$0.hasPrefix("-") }, command: "ucfr", form: "PACKAGE PATH",
                                             variables: variables, location: location, text: text) else { return }
            registrations[path] = package
        }

        /// The two operands of a call, resolved; nil (and a `skipped` line) when there are not
        /// two or one holds a shell variable configure cannot know.
        private mutating func pair(_ operands: [String], command: String, form: String, variables: ScriptVariables,
                                   location: String, text: String) -> (String, String)? {
            guard operands.count == 2 else {
                skipped.append("\(location): \(command) form not understood (expected \(form)): \(text.trimmed())")
                return nil
            }
            guard let first = variables.resolve(operands[0]), let second = variables.resolve(operands[1]) else {
                skipped.append("\(location): \(command) with a shell variable: \(text.trimmed())")
                return nil
            }
            return (first, second)
        }

        /// Copies each template whose destination is absent; returns what it did, as
        /// `DEST from SOURCE` or `DEST kept (already in the tree)`, for the report.
        func apply(to tree: inout FileTree, io: inout TreeIO) throws(ConfigureError) -> (done: [String], skipped: [String]) {
            var done: [String] = []
            var skipped: [String] = []
            for install in installs {
                if tree.resolve(install.destination) != nil {
                    done.append("\(install.destination) kept (already in the tree; ucf keeps a local file)")
                    continue
                }
                guard let (_, node) = tree.resolve(install.source), let bytes = try io.bytes(at: install.source, in: tree) else {
                    skipped.append("\(install.location): ucf template \(install.source) is not in the tree; \(install.destination) not written")
                    continue
                }
                try io.directory(FileTree.parent(of: install.destination), in: &tree)
                try io.write(bytes, at: install.destination, mode: node.mode & 0o7777, uid: node.uid, gid: node.gid, in: &tree)
                done.append("\(install.destination) from \(install.source)")
            }
            if !registrations.isEmpty {
                let lines = registrations.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                    .map { "\(registrations[$0] ?? "?") \($0)\n" }
                try io.directory("/var/lib/ucf", in: &tree)
                try io.write(lines.joined(), at: "/var/lib/ucf/registry", mode: 0o644, in: &tree)
            }
            return (done, skipped)
        }
    }
}
