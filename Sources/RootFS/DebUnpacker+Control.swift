import Archive
import Debian
import FileTree

extension DebUnpacker {
    /// The control.tar members dpkg keeps (deb-control(5), deb-md5sums(5), deb-conffiles(5),
    /// deb-preinst(5)...).
    static let scriptNames: Set<String> = ["preinst", "postinst", "prerm", "postrm", "config"]
    /// Each member is small text, read whole; no member of a real package comes near this
    /// size, a larger one is hostile.
    static let controlMemberLimit = 16 * 1024 * 1024

    /// Reads control.tar into an `InstalledPackage` whose `files` the data member fills in
    /// later. The `control` file goes through the Debian module's deb822 parser, which keeps
    /// each field's raw text for the dpkg status file.
    static func readControl(nestedIn outer: ArchiveReader, location: SourceLocation) throws(RootFSError) -> InstalledPackage {
        var control: String?
        var md5sums = "", conffiles = ""
        var scripts: [String: String] = [:]
        var last: String?
        do {
            let inner = try ArchiveReader(entryDataOf: outer, formats: [.tar])
            while let entry = try inner.nextEntry() {
                last = entry.path
                guard entry.type == .regular else { continue }
                let name = try StagedTree.normalizedPath(entry.path, location: location) { $0 }
                let text = String(decoding: try inner.readAllData(limit: controlMemberLimit), as: UTF8.self)
                switch name {
                case "/control": control = text
                case "/md5sums": md5sums = text
                case "/conffiles": conffiles = text
                default:
                    let script = String(name.dropFirst())
                    if scriptNames.contains(script) { scripts[script] = text }
                }
            }
        } catch let error as RootFSError {
            throw error
        } catch {
            throw .unreadable(location, entry: last, message: "\(error)")
        }
        guard let control else {
            throw .notADebianPackage(source: location.source, reason: "\(location.member ?? "control.tar") has no 'control' file")
        }
        do {
            return try InstalledPackage(control: control, md5sums: md5sums, conffiles: conffiles, scripts: scripts)
        } catch .missingField(let field) {
            throw .missingControlField(source: location.source, field: field)
        } catch {
            throw .notADebianPackage(source: location.source, reason: "its control file cannot be read: \(error)")
        }
    }
}
