import Debian
import FileTree

extension Configure {
    /// `pam-auth-update --package`, done on the tree: libpam-runtime's postinst (and every
    /// package that ships a PAM profile) runs it to write `/etc/pam.d/common-{auth,account,
    /// password,session,session-noninteractive}`, which no package ships. Without them every
    /// PAM service (`login`, `sshd`, `systemd-user`) fails with "Critical error - immediate
    /// abort", so a console login or an ssh session is impossible.
    ///
    /// The rendering is pam-auth-update's for a first install (Debian 12, libpam-runtime
    /// 1.5.2): the profiles in /usr/share/pam-configs with `Default: yes` are enabled (none
    /// naming pam_tally, which pam-auth-update disables), sorted by `Priority` descending,
    /// then name descending; a profile's `Conflicts:` drops the later one. Each template
    /// /usr/share/pam/common-TYPE keeps its text outside the "Primary" and "Additional"
    /// blocks; inside, each enabled profile's lines (its `-Initial` form for the first
    /// profile of the block) are written as `TYPE\tLINE`, with `end` in the control field
    /// replaced by the number of lines left to skip, so `success=end` jumps past the block
    /// and the fallback `pam_deny`. pam-auth-update's own state (/var/lib/pam) is not written:
    /// nothing runs it on an immutable host, where the next image renders afresh.
    struct PamProfiles {
        static let profileDirectory = "/usr/share/pam-configs"
        static let templateDirectory = "/usr/share/pam"
        static let types = ["auth", "account", "password", "session", "session-noninteractive"]
        static let primaryHeader = "# here are the per-package modules (the \"Primary\" block)"
        static let fallbackHeader = "# here's the fallback if no module succeeds"
        static let additionalHeader = "# and here are more per-package modules (the \"Additional\" block)"
        static let endHeader = "# end of pam-auth-update config"

        /// One file of /usr/share/pam-configs: field → value (continuation lines joined by "\n").
        struct Profile: Equatable {
            var name: String
            var fields: [String: String] = [:]
            var conflicts: Set<String> = []
            var disabled = false

            var priority: Int { Int(fields["Priority"] ?? "") ?? 0 }
        }

        /// Whether a postinst of `packages` runs pam-auth-update (then the files are wanted).
        static func requested(by packages: [InstalledPackage]) -> String? {
            for package in packages {
                guard let script = package.scripts["postinst"] else { continue }
                if Configure.logicalLines(script).contains(where: { Configure.command("pam-auth-update", in: $0.text) != nil }) {
                    return package.name
                }
            }
            return nil
        }

        /// pam-auth-update's parse_pam_profile: `Field: value` starts a field (`-Final`
        /// dropped from its name), other lines continue it, trimmed, empty ones ignored.
        static func parse(_ text: String, name: String) -> Profile {
            var profile = Profile(name: name)
            var field = ""
            for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let line = String(raw)
                if let colon = line.firstIndex(of: ":"), !line[..<colon].isEmpty,
                   !line[..<colon].contains(where: { $0 == " " || $0 == "\t" }),
                   line[line.index(after: colon)...].first.map({ $0 == " " || $0 == "\t" }) ?? true {
                    field = String(line[..<colon]).trimmingSuffix("-Final")
                    let value = String(line[line.index(after: colon)...]).trimmed()
                    if field == "Conflicts" {
                        profile.conflicts.formUnion(value.components(separatedBy: ", "))
                    } else {
                        profile.fields[field] = value
                    }
                    continue
                }
                let value = line.trimmed()
                guard !value.isEmpty else { continue }
                let joined = (profile.fields[field] ?? "") + "\n" + value
                profile.fields[field] = String(joined.drop { $0 == "\n" || $0 == " " || $0 == "\t" })
                if value.contains("pam_tally") { profile.disabled = true }
            }
            if profile.fields["Session-Interactive-Only"] == nil {
                for suffix in ["-Type", "", "-Initial"] {
                    profile.fields["Session-noninteractive" + suffix] = profile.fields["Session" + suffix]
                }
            }
            return profile
        }

        /// The profiles a first install enables, in pam-auth-update's order.
        static func enabled(_ profiles: [Profile]) -> [Profile] {
            var enabled = profiles.filter { !$0.disabled && $0.fields["Default"] == "yes" }.sorted { a, b in
                a.priority != b.priority ? a.priority > b.priority : b.name.utf8.lexicographicallyPrecedes(a.name.utf8)
            }
            var index = 0
            while index < enabled.count {
                let conflicts = enabled[index].conflicts
                enabled.removeAll { conflicts.contains($0.name) }
                index += 1
            }
            return enabled
        }

        /// One common-TYPE file from its template; nil when the template lacks the markers.
        static func render(template: String, type: String, enabled: [Profile]) -> String? {
            let uctype = type.prefix(1).uppercased() + type.dropFirst()
            let lineType = type.replacingOccurrences(of: "-noninteractive", with: "")
            var output = ""
            var state = 0
            for raw in template.split(separator: "\n", omittingEmptySubsequences: false).dropLast(template.hasSuffix("\n") ? 1 : 0) {
                let line = String(raw)
                if state == 1 || state == 3 {
                    if line.hasPrefix(state == 1 ? fallbackHeader : endHeader) { output += line + "\n"; state += 1 }
                    continue
                }
                output += line + "\n"
                if state == 0 && line.hasPrefix(primaryHeader) || state == 2 && line.hasPrefix(additionalHeader) {
                    output += block(state == 0 ? "Primary" : "Additional", uctype: uctype, lineType: lineType, enabled: enabled)
                    state += 1
                }
            }
            return state == 4 ? output : nil
        }

        /// pam-auth-update's create_from_template for one block.
        static func block(_ kind: String, uctype: String, lineType: String, enabled: [Profile]) -> String {
            let members = enabled.filter { $0.fields[uctype + "-Type"] == kind }
            let lines = members.enumerated().flatMap { position, profile -> [String] in
                let initial = position == 0 ? profile.fields[uctype + "-Initial"] : nil
                return (initial ?? profile.fields[uctype] ?? "").split(separator: "\n").map(String.init)
            }
            var count = lines.count - (kind == "Additional" ? 1 : 0)
            var output = ""
            if kind == "Primary" && count == 0 { output += "\(lineType)\t[default=1]\t\t\tpam_permit.so\n" }
            for line in lines {
                output += "\(lineType)\t\(mergeOneLine(line, count: count))\n"
                count -= 1
            }
            return output
        }

        /// `[control] module options` → the control with `end` replaced by `count`, then the
        /// options joined by single spaces (a line without options keeps a trailing space, as
        /// pam-auth-update writes it).
        static func mergeOneLine(_ line: String, count: Int) -> String {
            var rest = Substring(line)
            var control = ""
            if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                control = String(rest[...close])
                rest = rest[rest.index(after: close)...]
            } else {
                control = String(rest.prefix { $0 != " " && $0 != "\t" })
                rest = rest.dropFirst(control.count)
            }
            let separator = rest.prefix { $0 == " " || $0 == "\t" }
            rest = rest.dropFirst(separator.count)
            let module = rest.prefix { $0 != " " && $0 != "\t" }
            let options = rest.dropFirst(module.count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            let head = (control + separator + module).replacingOccurrences(of: "end", with: String(count))
            return head + " " + options.joined(separator: " ")
        }

        /// Renders every common-TYPE into /etc/pam.d; returns the paths written, or the reason
        /// nothing was (no profiles or templates in the tree) for the report's skipped list.
        static func apply(to tree: inout FileTree, io: TreeIO) throws(ConfigureError) -> (written: [String], skipped: [String]) {
            guard let (directory, node) = tree.resolve(profileDirectory), node.isDirectory else {
                return ([], ["pam-auth-update: \(profileDirectory) is not in the tree; /etc/pam.d/common-* not written"])
            }
            var profiles: [Profile] = []
            for path in tree.children(of: directory) where !path.hasSuffix("~") {
                guard let text = try io.text(at: path, in: tree) else { continue }
                profiles.append(parse(text, name: FileTree.name(of: path)))
            }
            let enabled = enabled(profiles)
            var written: [String] = []
            var skipped: [String] = []
            for type in types {
                let templatePath = "\(templateDirectory)/common-\(type)"
                guard let template = try io.text(at: templatePath, in: tree),
                      let text = render(template: template, type: type, enabled: enabled) else {
                    skipped.append("pam-auth-update: \(templatePath) is missing or lacks the Primary/Additional markers; /etc/pam.d/common-\(type) not written")
                    continue
                }
                try io.write(text, at: "/etc/pam.d/common-\(type)", mode: 0o644, in: &tree)
                written.append("/etc/pam.d/common-\(type)")
            }
            return (written, skipped)
        }
    }
}
