/// What unpacking one .deb learned besides its files: the control data dpkg would have kept.
/// Configure writes the dpkg database from it (`/var/lib/dpkg/status`, `info/*.list`,
/// `info/*.md5sums`, `info/*.conffiles`) and reads maintainer scripts as text to do natively
/// the few things a host needs from them (alternatives) — no script is ever run.
public struct InstalledPackage: Sendable, Hashable, Codable {
    public var name: String
    public var version: String
    public var architecture: String
    /// The `control` file's paragraph, exactly as shipped (without a trailing blank line).
    public var control: String
    /// Paths the package's data.tar put in the tree, normalised (after merged-/usr), sorted,
    /// directories included — what `info/NAME.list` records.
    public var files: [String]
    /// `md5sums` from control.tar, as shipped (empty when absent).
    public var md5sums: String
    /// `conffiles` from control.tar, as shipped (empty when absent).
    public var conffiles: String
    /// Maintainer scripts by name (`preinst`, `postinst`, `prerm`, `postrm`, `config`), as text.
    public var scripts: [String: String]

    public init(name: String, version: String, architecture: String, control: String, files: [String] = [],
                md5sums: String = "", conffiles: String = "", scripts: [String: String] = [:]) {
        self.name = name
        self.version = version
        self.architecture = architecture
        self.control = control
        self.files = files
        self.md5sums = md5sums
        self.conffiles = conffiles
        self.scripts = scripts
    }
}
