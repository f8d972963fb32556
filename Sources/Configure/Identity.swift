import FileTree

extension Configure {
    /// `/etc/machine-id` and os-release.
    enum Identity {
        /// Empty and read-only: systemd sees "uninitialized" and generates an ID on first boot
        /// (machine-id(5)), so every host gets its own while the image stays identical.
        static func writeMachineID(in tree: inout FileTree, io: inout TreeIO) throws(ConfigureError) {
            try io.write([UInt8](), at: "/etc/machine-id", mode: 0o444, in: &tree)
        }

        static let imageIDCharacters = "a-z 0-9 . _ -"
        static let imageVersionCharacters = "A-Z a-z 0-9 . _ ~ -"

        /// Rewrites the file `/etc/os-release` names (Debian: `/usr/lib/os-release`) with
        /// `IMAGE_ID=` and `IMAGE_VERSION=` set, every other line kept as it was.
        static func writeOSRelease(in tree: inout FileTree, io: inout TreeIO, imageID: String?,
                                   imageVersion: String?, extras: [String: String] = [:]) throws(ConfigureError) {
            if imageID == nil && imageVersion == nil && extras.isEmpty { return }
            if let imageID { try check(imageID, field: "IMAGE_ID", allowed: imageIDCharacters, upper: false) }
            if let imageVersion { try check(imageVersion, field: "IMAGE_VERSION", allowed: imageVersionCharacters, upper: true) }
            let target = tree.resolve("/etc/os-release")?.path ?? tree.resolve("/usr/lib/os-release")?.path ?? "/usr/lib/os-release"
            let original = try io.text(at: target, in: tree) ?? ""
            let text = rewrite(original, imageID: imageID, imageVersion: imageVersion, extras: extras)
            let node = tree[target]
            try io.write(text, at: target, mode: node?.mode ?? 0o644, uid: node?.uid ?? 0, gid: node?.gid ?? 0, in: &tree)
            if tree["/etc/os-release"] == nil && tree.resolve("/etc/os-release") == nil && target == "/usr/lib/os-release" {
                try io.symlink("/etc/os-release", to: "../usr/lib/os-release", in: &tree)
            }
        }

        static func rewrite(_ original: String, imageID: String?, imageVersion: String?, extras: [String: String] = [:]) -> String {
            var lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            lines.removeAll { line in
                (imageID != nil && line.hasPrefix("IMAGE_ID=")) || (imageVersion != nil && line.hasPrefix("IMAGE_VERSION="))
                    || extras.keys.contains { line.hasPrefix($0 + "=") }
            }
            if let imageID { lines.append("IMAGE_ID=\(quote(imageID))") }
            if let imageVersion { lines.append("IMAGE_VERSION=\(quote(imageVersion))") }
            for key in extras.keys.sorted() { lines.append("\(key)=\(quote(extras[key] ?? ""))") }
            return lines.map { $0 + "\n" }.joined()
        }

        /// os-release(5): shell-compatible double quotes, with `\`, `"`, `$` and `` ` `` escaped.
        static func quote(_ value: String) -> String {
            var out = "\""
            for char in value {
                if char == "\\" || char == "\"" || char == "$" || char == "`" { out.append("\\") }
                out.append(char)
            }
            return out + "\""
        }

        private static func check(_ value: String, field: String, allowed: String, upper: Bool) throws(ConfigureError) {
            let ok = !value.isEmpty && value.unicodeScalars.allSatisfy { c in
                (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "." || c == "_" || c == "-"
                    || (upper && ((c >= "A" && c <= "Z") || c == "~"))
            }
            if !ok { throw .invalidOSReleaseValue(field: field, value: value, allowed: allowed) }
        }
    }
}
