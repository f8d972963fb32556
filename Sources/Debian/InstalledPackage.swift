/// A binary package as dpkg keeps it once unpacked: its `control` paragraph, the paths its
/// data put in the tree, and the other control members dpkg stores under
/// `/var/lib/dpkg/info` (deb-md5sums(5), deb-conffiles(5), maintainer scripts).
///
/// Unpacking makes one per `.deb`; configuring writes the dpkg database from it
/// (`/var/lib/dpkg/status`, `info/*.list`, `info/*.md5sums`, `info/*.conffiles`) and reads the
/// maintainer scripts as text to do natively the few things a host needs from them
/// (alternatives, users, units) — no script is ever run. It lives here, beside the deb822
/// parser, so both stages share it without one depending on the other.
public struct InstalledPackage: Sendable, Hashable, Codable {
    public let name: String
    public let version: String
    public let architecture: String
    /// The `control` file's one paragraph (deb-control(5)), every field with its raw text:
    /// dpkg's status file repeats each field byte for byte, continuation lines included.
    public let control: Deb822.Paragraph
    /// Paths the package's data.tar put in the tree, normalised (after merged-/usr), sorted,
    /// directories included — what `info/NAME.list` records.
    public var files: [String]
    /// `md5sums` from control.tar, as shipped (empty when absent).
    public var md5sums: String
    /// `conffiles` from control.tar, as shipped (empty when absent).
    public var conffiles: String
    /// Maintainer scripts by name (`preinst`, `postinst`, `prerm`, `postrm`, `config`), as text.
    public var scripts: [String: String]

    /// A package from the text of its `control` file.
    ///
    /// Trailing blank lines and blanks at the very end are dropped first, as dpkg-deb's
    /// control files end in one newline; a `#` line is an error, as Policy §5.1 allows
    /// comments only in source control files and sources lists.
    public init(control text: String, files: [String] = [], md5sums: String = "", conffiles: String = "",
                scripts: [String: String] = [:]) throws(ControlError) {
        let paragraphs: [Deb822.Paragraph]
        do {
            paragraphs = try Deb822.parse(Self.trimmingTrailingBlanks(text), allowComments: false, keepRawText: true)
        } catch {
            throw .syntax(error)
        }
        guard paragraphs.count <= 1 else { throw .paragraphs(count: paragraphs.count) }
        try self.init(control: paragraphs.first ?? Deb822.Paragraph(), files: files, md5sums: md5sums,
                      conffiles: conffiles, scripts: scripts)
    }

    /// A package from an already parsed `control` paragraph; `Package`, `Version` and
    /// `Architecture` must be there and not empty, as dpkg requires of every binary package.
    public init(control: Deb822.Paragraph, files: [String] = [], md5sums: String = "", conffiles: String = "",
                scripts: [String: String] = [:]) throws(ControlError) {
        func required(_ field: String) throws(ControlError) -> String {
            guard let value = control[field], !value.isEmpty else { throw .missingField(field) }
            return value
        }
        name = try required("Package")
        version = try required("Version")
        architecture = try required("Architecture")
        self.control = control
        self.files = files
        self.md5sums = md5sums
        self.conffiles = conffiles
        self.scripts = scripts
    }

    /// Why a `control` file cannot describe a package.
    public enum ControlError: Error, Equatable, Sendable, CustomStringConvertible {
        case syntax(Deb822.Error)
        /// dpkg accepts exactly one paragraph in a binary package's control file.
        case paragraphs(count: Int)
        case missingField(String)

        public var description: String {
            switch self {
            case .syntax(let error):
                return "\(error)"
            case .paragraphs(let count):
                return "it has \(count) paragraphs separated by blank lines; a binary package's control file has one"
            case .missingField(let field):
                return "it has no \(field) field, which every binary package needs"
            }
        }
    }

    /// `text` without the newlines, carriage returns, spaces and tabs it ends with. Compared
    /// Character by Character, as the unpacker always did, so the status file keeps its bytes:
    /// a final CRLF is one Character and stays.
    static func trimmingTrailingBlanks(_ text: String) -> String {
        var end = text.endIndex
        while end > text.startIndex {
            let before = text.index(before: end)
            guard [" ", "\t", "\n", "\r"].contains(text[before]) else { break }
            end = before
        }
        return String(text[..<end])
    }
}
