import Archive
import FileTree

/// The members of a `.deb`'s control.tar that dpkg keeps (deb-control(5), deb-md5sums(5),
/// deb-conffiles(5), deb-preinst(5)...). Each is small text, read whole with a size limit.
struct ControlData: Sendable {
    static let scriptNames: Set<String> = ["preinst", "postinst", "prerm", "postrm", "config"]
    /// No control member of a real package comes near this; a larger one is hostile.
    static let memberLimit = 16 * 1024 * 1024

    var control = ""
    var md5sums = ""
    var conffiles = ""
    var scripts: [String: String] = [:]
    var fields: [String: String] = [:]

    var package: String { fields["package"] ?? "" }

    static func read(nestedIn outer: ArchiveReader, location: SourceLocation) throws(RootFSError) -> ControlData {
        var data = ControlData()
        var sawControl = false
        var last: String?
        do {
            let inner = try ArchiveReader(entryDataOf: outer, formats: [.tar])
            while let entry = try inner.nextEntry() {
                last = entry.path
                guard entry.type == .regular else { continue }
                let name = try StagedTree.normalizedPath(entry.path, location: location) { $0 }
                let bytes = try inner.readAllData(limit: memberLimit)
                let text = String(decoding: bytes, as: UTF8.self)
                switch name {
                case "/control":
                    sawControl = true
                    data.control = paragraph(text)
                    data.fields = parseFields(data.control)
                case "/md5sums": data.md5sums = text
                case "/conffiles": data.conffiles = text
                default:
                    let script = String(name.dropFirst())
                    if scriptNames.contains(script) { data.scripts[script] = text }
                }
            }
        } catch let error as RootFSError {
            throw error
        } catch {
            throw .unreadable(location, entry: last, message: "\(error)")
        }
        guard sawControl else {
            throw .notADebianPackage(source: location.source, reason: "\(location.member ?? "control.tar") has no 'control' file")
        }
        return data
    }

    /// The paragraph without trailing blank lines, ending in exactly one newline.
    static func paragraph(_ text: String) -> String {
        var end = text.endIndex
        while end > text.startIndex {
            let before = text.index(before: end)
            guard text[before] == "\n" || text[before] == "\r" || text[before] == " " || text[before] == "\t" else { break }
            end = before
        }
        return text[..<end].isEmpty ? "" : String(text[..<end]) + "\n"
    }

    /// `Field: value` lines (deb822); continuation lines are appended to the previous field.
    /// Field names are compared case-insensitively, as dpkg does, so they are lowercased.
    static func parseFields(_ paragraph: String) -> [String: String] {
        var fields: [String: String] = [:]
        var current: String?
        for line in paragraph.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.first == " " || line.first == "\t" {
                if let current { fields[current, default: ""] += "\n" + line }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            fields[name] = line[line.index(after: colon)...].trimmingSpaces
            current = name
        }
        return fields
    }

    func installedPackage(source: String, files: [String]) throws(RootFSError) -> InstalledPackage {
        for field in ["package", "version", "architecture"] where (fields[field] ?? "").isEmpty {
            throw .missingControlField(source: source, field: field.prefix(1).uppercased() + field.dropFirst())
        }
        return InstalledPackage(
            name: fields["package"] ?? "", version: fields["version"] ?? "",
            architecture: fields["architecture"] ?? "", control: control, files: files,
            md5sums: md5sums, conffiles: conffiles, scripts: scripts)
    }
}

extension Substring {
    var trimmingSpaces: String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" || last == "\r" { slice = slice.dropLast() }
        return String(slice)
    }
}
