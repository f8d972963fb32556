import ContentStore
import Debian
import FileTree

/// Configure: does natively, on the in-memory tree, what maintainer scripts and a first
/// `dpkg --configure -a` would have done and a hypervisor host needs — no script ever runs.
///
/// Steps, in order (each is also callable on its own for tests):
/// 1. users and groups (`Configure.Users`): base-passwd masters, sysusers.d, adduser calls;
/// 2. alternatives (`Configure.Alternatives`): `update-alternatives --install` in scripts;
/// 2b. configuration files from templates (`Configure.Ucf`): `ucf`/`ucfr` in postinst;
/// 2c. PAM (`Configure.PamProfiles`): `pam-auth-update` writes /etc/pam.d/common-*;
/// 3. shared libraries (`Configure.LdCache`): SONAME links and `/etc/ld.so.cache`;
/// 4. systemd units (`Configure.Units`): postinst `deb-systemd-helper enable` + requested units;
/// 4b. tmpfiles.d lines for the read-only root (`Configure.Tmpfiles`): /etc/mtab, /srv;
/// 5. identity: empty `/etc/machine-id`, `os-release` with IMAGE_ID/IMAGE_VERSION;
/// 6. the dpkg database (`Configure.Dpkg`), last, so it sees the final tree.
///
/// Everything it adds has origin `configure`. Same input, same bytes: nothing reads the clock,
/// the environment or the host; dynamic IDs and choices follow documented sort orders.
public enum Configure {
    /// The origin recorded on every node this stage adds.
    public static let origin = "configure"
}

extension Configure {
    public struct Options: Sendable, Hashable {
        /// Units to enable beyond what packages enable (`ssh.service`, `foo@bar.service`).
        public var enableUnits: [String]
        /// `multi-user.target` and the like; nil leaves `default.target` alone.
        public var defaultTarget: String?
        /// os-release `IMAGE_ID=` / `IMAGE_VERSION=`; nil leaves the field out.
        public var imageID: String?
        public var imageVersion: String?
        /// More os-release fields (`HOSTIMG_QEMU_VERSION`: what the agent compares before a
        /// VM-preserving switch, docs/agent.md), written in key order after IMAGE_VERSION.
        public var osReleaseExtras: [String: String] = [:]
        /// Enable what packages' postinst enable with `deb-systemd-helper enable`.
        public var enablePackageUnits: Bool
        /// Day count written into `/etc/shadow`'s last-change field (SOURCE_DATE_EPOCH / 86400);
        /// nil leaves the field empty, which shadow(5) reads as "aging disabled".
        public var shadowLastChange: Int?
        /// The ld.so.cache generator extension text (`ldconfig -p` prints it).
        public var ldCacheGenerator: String

        public init(enableUnits: [String] = [], defaultTarget: String? = nil, imageID: String? = nil,
                    imageVersion: String? = nil, enablePackageUnits: Bool = true, shadowLastChange: Int? = nil,
                    ldCacheGenerator: String = "hostimg configure") {
            self.enableUnits = enableUnits
            self.defaultTarget = defaultTarget
            self.imageID = imageID
            self.imageVersion = imageVersion
            self.enablePackageUnits = enablePackageUnits
            self.shadowLastChange = shadowLastChange
            self.ldCacheGenerator = ldCacheGenerator
        }
    }

    /// What configure did, for the build report and `hostimg explain`.
    public struct Report: Sendable, Hashable {
        /// `name:uid` of users created beyond base-passwd's master, in creation order.
        public var usersCreated: [String] = []
        public var groupsCreated: [String] = []
        /// Libraries in the ld.so.cache, and SONAME links created.
        public var libraries: Int = 0
        public var sonameLinksCreated: [String] = []
        /// Symlinks made under /etc/systemd/system.
        public var unitLinks: [String] = []
        /// Alternatives chosen: NAME → PATH.
        public var alternatives: [String: String] = [:]
        /// Configuration files written from package templates (ucf, pam-auth-update), as
        /// `PATH from TEMPLATE`, or `PATH kept (...)` when the tree already had one.
        public var configFiles: [String] = []
        /// What tmpfiles.d asks for on the read-only root, made at build time (`Configure.Tmpfiles`).
        public var tmpfilesCreated: [String] = []
        /// Script lines configure recognised but could not act on (unresolved `$var`,
        /// unsupported options), as `package/script:line: text`.
        public var skipped: [String] = []
        public var packagesRecorded: Int = 0

        public init() {}
    }

    public enum ConfigureError: Error, Equatable, CustomStringConvertible {
        case unknownUnit(String, searched: [String])
        case badUnitName(String)
        case missingFile(String, needed: String)
        case malformed(file: String, line: Int, message: String)
        case idsExhausted(what: String)
        case invalidOSReleaseValue(field: String, value: String, allowed: String)
        case tree(String)
        case store(String)

        public var description: String {
            switch self {
            case let .unknownUnit(name, searched):
                return "unit '\(name)' was not found in \(searched.joined(separator: ", ")); is the package that ships it in the manifest?"
            case let .badUnitName(name):
                return "'\(name)' is not a unit name (expected NAME.service, NAME.socket, NAME.target, NAME@INSTANCE.service...)"
            case let .missingFile(path, needed):
                return "\(path) is missing from the tree; it is needed for \(needed)"
            case let .malformed(file, line, message):
                return "\(file):\(line): \(message)"
            case let .idsExhausted(what):
                return "no free system ID left between 100 and 999 for \(what); remove users or give fixed IDs in sysusers.d"
            case let .invalidOSReleaseValue(field, value, allowed):
                return "\(field) '\(value)' is not valid in os-release(5); use only \(allowed)"
            case let .tree(message): return "tree: \(message)"
            case let .store(message): return "content store: \(message)"
            }
        }
    }

    /// Runs every step on `tree` and returns what it did.
    public static func run(tree: inout FileTree, store: ContentStore, packages: [InstalledPackage],
                           options: Options = Options()) throws(ConfigureError) -> Report {
        var report = Report()
        var io = TreeIO(store: store)
        let sorted = packages.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }

        var users = try Users.load(tree: tree, io: io)
        try users.addSysusers(tree: tree, io: io)
        users.addScriptRequests(packages: sorted, skipped: &report.skipped)
        try users.allocate()
        report.usersCreated = users.created.users
        report.groupsCreated = users.created.groups
        try users.write(to: &tree, io: &io, lastChange: options.shadowLastChange)

        let alternatives = Alternatives.parse(packages: sorted)
        report.skipped += alternatives.skipped
        report.alternatives = try alternatives.apply(to: &tree, io: &io)

        let ucf = Ucf.parse(packages: sorted)
        report.skipped += ucf.skipped
        let ucfResult = try ucf.apply(to: &tree, io: &io)
        report.configFiles += ucfResult.done
        report.skipped += ucfResult.skipped

        if let requester = PamProfiles.requested(by: sorted) {
            let pam = try PamProfiles.apply(to: &tree, io: io)
            report.configFiles += pam.written.map { "\($0) from \(PamProfiles.profileDirectory) (pam-auth-update, \(requester))" }
            report.skipped += pam.skipped
        }

        let cache = try LdCache.build(tree: &tree, io: io)
        report.libraries = cache.entries.count
        report.sonameLinksCreated = cache.linksCreated
        try io.write(cache.encode(generator: options.ldCacheGenerator), at: "/etc/ld.so.cache", mode: 0o644, in: &tree)

        var units = Units(tree: tree, io: io)
        if options.enablePackageUnits {
            let requested = Units.packageEnables(packages: sorted)
            report.skipped += requested.upgradeOnly
            for name in requested.names {
                // A package may enable a unit another stage pruned; that is not the user's error.
                if units.find(name) == nil {
                    report.skipped.append("\(requested.origin[name] ?? "?"): enable \(name): unit file not in the tree")
                    continue
                }
                try units.enable(name, in: &tree)
            }
        }
        for name in options.enableUnits { try units.enable(name, in: &tree) }
        if let target = options.defaultTarget { try units.setDefaultTarget(target, in: &tree) }
        report.unitLinks = units.created

        let tmpfiles = try Tmpfiles.read(tree: tree, io: io)
        report.tmpfilesCreated = try Tmpfiles.apply(tmpfiles.entries, to: &tree, io: io)
        report.skipped += tmpfiles.skipped

        try Identity.writeMachineID(in: &tree, io: &io)
        try Identity.writeOSRelease(in: &tree, io: &io, imageID: options.imageID, imageVersion: options.imageVersion,
                                    extras: options.osReleaseExtras)

        try Dpkg.write(packages: sorted, to: &tree, io: &io)
        report.packagesRecorded = sorted.count
        return report
    }
}

extension Configure {
    /// Accounts asked for after the configure stage (the tuning stage's DPDK group and
    /// members): `sysusers` in sysusers.d(5) syntax, applied to the tree's passwd, group and
    /// shadow files the same way a package's sysusers.d file is. Returns the users and
    /// groups it created (existing ones are kept as they are).
    public static func addAccounts(sysusers: String, file: String, tree: inout FileTree, store: ContentStore,
                                   shadowLastChange: Int?) throws(ConfigureError) -> (users: [String], groups: [String]) {
        var io = TreeIO(store: store)
        var users = try Users.load(tree: tree, io: io, configured: true)
        try users.addSysusers(text: sysusers, file: file)
        try users.allocate()
        try users.write(to: &tree, io: &io, lastChange: shadowLastChange)
        return (users.created.users, users.created.groups)
    }
}
