import ContentStore
import Crypto
import FileTree
import Foundation
import GPT

/// What every image gets from hostimg itself beside its packages (issue 13): the on-host
/// agent, the health gate that blesses a healthy slot, the ESP mounted at `/efi`, and the
/// trust store the agent checks bundles against (issue 15).
///
/// ```
/// /usr/bin/hostimg-agent                           the agent (static Swift, no Foundation)
/// /usr/bin/hostimg → hostimg-agent                 `hostimg switch|status|agent` on a host
/// /usr/lib/systemd/system/hostimg-agent-start.service  records the agent's start after a switch
/// /usr/lib/systemd/system/hostimg-health.service   health gate + blessing, before boot-complete.target
/// /usr/lib/systemd/system/efi.mount                the image's ESP (by PARTUUID) at /efi, read-write
/// /etc/systemd/system/systemd-bless-boot.service   → /dev/null: it blesses LoaderBootCountPath,
///                                                  which after a kexec names the previous boot's entry
/// /etc/systemd/system-generators/systemd-{gpt-auto,veritysetup}-generator → /dev/null: the
///                                                  initrd found the slot and set up dm-verity
///                                                  from roothash=, efi.mount mounts the ESP
/// /etc/hostimg/health.d/                           the image's own checks (overlays add them)
/// /efi/                                            the mount point
/// /usr/lib/hostimg/trust/SHA256.pem                each trusted certificate (a signed build:
///                                                  the signer's), named by its fingerprint;
///                                                  none for an unsigned build (fail closed)
/// ```
enum HostFiles {
    static let agentPath = "/usr/bin/hostimg-agent"
    /// `TrustStore.defaultDirectory` on the host side.
    static let trustDirectory = "/usr/lib/hostimg/trust"
    static let healthUnit = "hostimg-health.service"
    static let startUnit = "hostimg-agent-start.service"
    /// `hostimg switch`, `hostimg status`, `hostimg agent` on a host: the agent answers to
    /// the tool's name for the commands a host has.
    static let toolLink = "/usr/bin/hostimg"
    static let espMountUnit = "efi.mount"
    static let origin = "hostimg"

    /// The health gate: after everything the default target pulls in has started (so a unit
    /// that failed is seen), before boot-complete.target (what "this boot is good" waits for).
    static let healthUnitText = """
    [Unit]
    Description=hostimg health gate (bless the running slot when it is healthy)
    Documentation=man:systemd-boot(7) file:/usr/share/doc/hostimg/boot.md
    After=multi-user.target efi.mount
    Before=boot-complete.target
    Wants=efi.mount
    ConditionKernelCommandLine=roothash

    [Service]
    Type=oneshot
    RemainAfterExit=yes
    ExecStart=\(agentPath) boot
    TimeoutStartSec=10min
    # The QEMUs it relaunches after a VM-preserving switch stay when the unit stops or restarts.
    KillMode=process

    [Install]
    WantedBy=multi-user.target
    RequiredBy=boot-complete.target

    """

    /// Right after the local file systems (the journal's /var): records the agent's start on
    /// a slot a switch just moved to, which ends the switch's blackout; nothing otherwise.
    static let startUnitText = """
    [Unit]
    Description=hostimg agent start (ends the blackout of a switch)
    Documentation=file:/usr/share/doc/hostimg/agent.md
    DefaultDependencies=no
    After=local-fs.target efi.mount
    Before=sysinit.target shutdown.target
    Conflicts=shutdown.target
    ConditionKernelCommandLine=roothash

    [Service]
    Type=oneshot
    RemainAfterExit=yes
    ExecStart=\(agentPath) boot --early

    [Install]
    WantedBy=sysinit.target

    """

    /// The ESP of the image's disk, found by its PARTUUID (derived from the build seed, the
    /// same in every version of the image, so an update never has to change it).
    static func espMountText(partitionUUID: String) -> String {
        """
        [Unit]
        Description=EFI System Partition (boot loader and one UKI per slot)
        Documentation=file:/usr/share/doc/hostimg/boot.md
        DefaultDependencies=no
        Conflicts=umount.target
        Before=local-fs.target umount.target

        [Mount]
        What=/dev/disk/by-partuuid/\(partitionUUID)
        Where=/efi
        Type=vfat
        Options=rw,nosuid,nodev,noexec,noatime,umask=0077,codepage=437,iocharset=ascii,flush

        [Install]
        WantedBy=local-fs.target

        """
    }

    /// The kernel modules the ESP mount needs (kept by the driver stage).
    static let espModules = ["vfat", "nls_cp437", "nls_ascii", "efivarfs"]

    /// Adds the files above to `tree`, every time `epoch`.
    static func add(to tree: inout FileTree, store: ContentStore, agent: String, espPartitionUUID: String,
                    epoch: Int64) throws {
        guard let agentBytes = FileManager.default.contents(atPath: agent) else {
            throw BuildError(stage: .host, "cannot read the agent program \(agent)")
        }
        func file(_ path: String, _ bytes: [UInt8], mode: UInt16) throws {
            try tree.insert(FileTree.Node(.regular(try store.put(bytes)), mode: mode, mtime: epoch, origin: origin), at: path)
        }
        func link(_ path: String, to target: String) throws {
            try tree.insert(FileTree.Node(.symlink(target), mode: 0o777, mtime: epoch, origin: origin), at: path)
        }
        func directory(_ path: String) throws {
            try tree.insert(FileTree.Node(.directory, mode: 0o755, mtime: epoch, origin: origin), at: path)
        }
        let units = "/usr/lib/systemd/system/"
        try file(agentPath, [UInt8](agentBytes), mode: 0o755)
        try file(units + healthUnit, Array(healthUnitText.utf8), mode: 0o644)
        try file(units + startUnit, Array(startUnitText.utf8), mode: 0o644)
        try link(toolLink, to: "hostimg-agent")
        try link("/etc/systemd/system/sysinit.target.wants/" + startUnit, to: units + startUnit)
        try file(units + espMountUnit, Array(espMountText(partitionUUID: espPartitionUUID).utf8), mode: 0o644)
        try link("/etc/systemd/system/multi-user.target.wants/" + healthUnit, to: units + healthUnit)
        try link("/etc/systemd/system/boot-complete.target.requires/" + healthUnit, to: units + healthUnit)
        try link("/etc/systemd/system/local-fs.target.wants/" + espMountUnit, to: units + espMountUnit)
        try link("/etc/systemd/system/systemd-bless-boot.service", to: "/dev/null")
        // The initrd already found the slot by its root hash and this file mounts the ESP:
        // systemd's own discovery would add a second ESP automount (which needs autofs).
        try link("/etc/systemd/system-generators/systemd-gpt-auto-generator", to: "/dev/null")
        // The initrd set up dm-verity from roothash=; this generator would set it up again.
        try link("/etc/systemd/system-generators/systemd-veritysetup-generator", to: "/dev/null")
        try directory("/etc/hostimg/health.d")
        try directory("/efi")
    }
}

extension HostFiles {
    /// Each certificate as `trustDirectory/SHA256.pem` (0644, the directory 0755), so the
    /// image's agent accepts the bundles they signed; returns those added (once each). No
    /// certificate adds nothing: the agent then finds no trust store and refuses every bundle.
    /// The trust store decides what a host installs, so it comes from the signing identity
    /// alone: anything a package or an overlay put there is refused, naming it.
    static func addTrustStore(_ certificates: [Certificate], to tree: inout FileTree, store: ContentStore,
                              epoch: Int64) throws -> [Certificate] {
        let foreign = tree.descendants(of: trustDirectory)
            + (tree[trustDirectory].map { $0.isDirectory ? [] : [trustDirectory] } ?? [])
        if let path = foreign.first {
            let origin = tree[path]?.origin.map { " (from \($0))" } ?? ""
            throw BuildError(stage: .host, "\(path)\(origin) is in the image's trust store, which only the build writes (the signing certificate); remove it from the overlay or package")
        }
        guard !certificates.isEmpty else { return [] }
        try tree.insert(FileTree.Node(.directory, mode: 0o755, mtime: epoch, origin: origin), at: trustDirectory)
        var added: [Certificate] = []
        for certificate in certificates where !added.contains(where: { $0.derBytes == certificate.derBytes }) {
            let pem = Array(try certificate.pemEncoded().utf8)
            try tree.insert(FileTree.Node(.regular(try store.put(pem)), mode: 0o644, mtime: epoch, origin: origin),
                            at: trustPath(certificate))
            added.append(certificate)
        }
        return added
    }

    static func trustPath(_ certificate: Certificate) -> String {
        trustDirectory + "/" + certificate.sha256Fingerprint + ".pem"
    }

    /// `HOSTIMG_AGENT`, else `hostimg-agent` beside the running executable (SwiftPM builds
    /// both into the same directory; so does `swift test`).
    static func locateAgent(environment: [String: String]) -> String? {
        BootInput.locateProgram("hostimg-agent", variable: "HOSTIMG_AGENT", environment: environment)
    }
}

/// hostimg's own files into the tree before the EROFS image is made of it.
struct HostFilesStage: BuildStage {
    static let name = StageName.host

    func run(_ state: inout ImageState) async throws -> String {
        let agent = try state.require(state.options.agentProgram, "the agent program", for: Self.name)
        let esp = try state.ids.partition(GPT.PartitionType.esp)
        let before = state.tree.count
        try HostFiles.add(to: &state.tree, store: state.store, agent: agent, espPartitionUUID: esp.description.lowercased(),
                          epoch: state.options.sourceDateEpoch)
        let trusted = try HostFiles.addTrustStore(state.options.trustStore, to: &state.tree, store: state.store,
                                                  epoch: state.options.sourceDateEpoch)
        if trusted.isEmpty {
            state.observer(.warning(Self.noTrustStore))
        }
        // After everything that removes files (prune, drivers) and after the files above:
        // the tree the agent will start from.
        let libraries = try AgentLibraries.check(agent: agent, in: state.tree, store: state.store)
        if libraries == nil {
            state.observer(.warning("the agent program \(agent) is not an ELF program: the shared libraries it needs were not checked"))
        }
        return "\(state.tree.count - before) paths: \(HostFiles.agentPath), \(HostFiles.healthUnit), \(HostFiles.espMountUnit) (ESP \(esp)); "
            + AgentLibraries.describe(libraries) + "; " + Self.describe(trusted)
    }

    static let noTrustStore = "no trust store (the build has no signing certificate): the image's agent will refuse every bundle, and `hostimg sign` cannot add one later (docs/agent.md, \"Trust store\")"

    /// The summary's trust-store part: each certificate's file (fingerprint prefix) and subject.
    static func describe(_ trusted: [Certificate]) -> String {
        guard !trusted.isEmpty else { return "no trust store (no signing certificate: the agent refuses every bundle)" }
        let each = trusted.map { "\($0.sha256Fingerprint.prefix(16))….pem (\($0.subject))" }
        return "trust store \(HostFiles.trustDirectory): " + each.joined(separator: ", ")
    }
}
