import Crypto
import Debian
import FileTree

extension Configure {
    /// The dpkg database of an installed system, so dpkg-query, `dpkg -L`, `dpkg -V` and apt
    /// in the image (or a debugging session) see every package as installed:
    /// `/var/lib/dpkg/status`, `info/NAME[:ARCH].{list,md5sums,conffiles,preinst,...}`,
    /// `available` (empty), `info/format`, and the `updates/`, `triggers/`, `alternatives/` dirs.
    enum Dpkg {
        static let admin = "/var/lib/dpkg"

        /// dpkg's own field order (lib/dpkg/parse.c `fieldinfos`); fields it does not know follow
        /// in the order the control file has them.
        static let fieldOrder = ["Package", "Essential", "Protected", "Status", "Priority", "Section", "Installed-Size",
                                 "Origin", "Maintainer", "Bugs", "Architecture", "Multi-Arch", "Source", "Version",
                                 "Config-Version", "Replaces", "Provides", "Depends", "Pre-Depends", "Recommends",
                                 "Suggests", "Breaks", "Conflicts", "Enhances", "Conffiles", "Filename", "Size",
                                 "MD5sum", "MSDOS-Filename", "Description", "Triggers-Pending", "Triggers-Awaited"]

        static func write(packages: [InstalledPackage], to tree: inout FileTree, io: inout TreeIO) throws(ConfigureError) {
            for directory in ["", "/info", "/updates", "/triggers", "/alternatives"] {
                try io.directory(admin + directory, in: &tree)
            }
            var status = ""
            for package in packages {
                let conffiles = try conffileLines(package, tree: tree, io: io)
                status += statusParagraph(package, conffiles: conffiles) + "\n"
                let base = "\(admin)/info/\(infoName(package))"
                let list = (["/."] + package.files.filter { $0 != "/" }).map { $0 + "\n" }.joined()
                try io.write(list, at: base + ".list", mode: 0o644, in: &tree)
                if !package.md5sums.isEmpty { try io.write(package.md5sums, at: base + ".md5sums", mode: 0o644, in: &tree) }
                if !package.conffiles.isEmpty { try io.write(package.conffiles, at: base + ".conffiles", mode: 0o644, in: &tree) }
                for (name, script) in package.scripts.sorted(by: { $0.key < $1.key }) {
                    try io.write(script, at: "\(base).\(name)", mode: 0o755, in: &tree)
                }
            }
            try io.write(status, at: admin + "/status", mode: 0o644, in: &tree)
            try io.write("", at: admin + "/available", mode: 0o644, in: &tree)
            try io.write("1\n", at: admin + "/info/format", mode: 0o644, in: &tree)
        }

        /// `NAME:ARCH` for `Multi-Arch: same` packages, as dpkg names their info files.
        static func infoName(_ package: InstalledPackage) -> String {
            package.control["Multi-Arch"] == "same" ? "\(package.name):\(package.architecture)" : package.name
        }

        /// `/etc/foo MD5` per conffile; the MD5 is of the file in the tree (dh_md5sums leaves
        /// conffiles out of md5sums; dpkg hashes them at unpack). `remove-on-upgrade` entries
        /// keep their flag; a conffile missing from the tree gets dpkg's `newconffile` marker.
        static func conffileLines(_ package: InstalledPackage, tree: FileTree, io: TreeIO) throws(ConfigureError) -> [String] {
            var lines: [String] = []
            for raw in package.conffiles.split(separator: "\n") {
                let words = raw.split(separator: " ").map(String.init)
                guard let path = words.last(where: { $0.hasPrefix("/") }) else { continue }
                let flags = words.filter { !$0.hasPrefix("/") }
                let hash = try io.bytes(at: path, in: tree).map(Self.md5) ?? "newconffile"
                lines.append(([path, hash] + flags).joined(separator: " "))
            }
            return lines
        }

        static func md5(_ bytes: [UInt8]) throws(ConfigureError) -> String {
            do {
                return try Crypto.MD5.hexDigest(bytes)
            } catch {
                throw .store("MD5 of a conffile: \(error)")
            }
        }

        /// The control paragraph with `Status` and `Conffiles` set, in dpkg's field order. The
        /// control fields are written as the package shipped them (their raw text), so the
        /// status file repeats the control file's bytes; the two new fields are formatted by
        /// the deb822 serializer (`Conffiles:` then one continuation line per conffile).
        static func statusParagraph(_ package: InstalledPackage, conffiles: [String]) -> String {
            var paragraph = package.control
            paragraph["Status"] = "install ok installed"
            paragraph["Conffiles"] = conffiles.isEmpty ? nil : "\n" + conffiles.joined(separator: "\n")
            let rank = Dictionary(uniqueKeysWithValues: fieldOrder.enumerated().map { ($1.lowercased(), $0) })
            paragraph.fields = paragraph.fields.enumerated().sorted { a, b in
                let ra = rank[a.element.name.lowercased()] ?? fieldOrder.count
                let rb = rank[b.element.name.lowercased()] ?? fieldOrder.count
                return ra != rb ? ra < rb : a.offset < b.offset
            }.map(\.element)
            return Deb822.serialize(paragraph)
        }
    }
}
