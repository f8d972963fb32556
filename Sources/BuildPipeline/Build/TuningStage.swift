import Configure
import ContentStore
import Drivers
import FileTree
import Manifests

/// The `tuning` section rendered into the tree (TUNING.md, "What the build renders";
/// `TuningRender`): hugetlbfs mount units, the early tuning service, udev rules, modprobe.d,
/// CPU affinity, the DPDK group and its memlock limits, and the promises file the agent
/// checks. The kernel command line is rendered by the boot stage from the same section.
struct TuningStage: BuildStage {
    static let name = StageName.tuning
    static let origin = "tuning"

    func run(_ state: inout TreeState) async throws -> String {
        if let region = state.manifest.tuning.preservedMemory, !Self.hasProgram(Self.mkfs, in: state.tree) {
            throw BuildError(stage: .tuning, "tuning.preservedMemory (\(region.location)) needs \(Self.mkfs) in the image: the agent formats an empty region with it; add e2fsprogs to `packages.include` (a base tarball must hold it)")
        }
        let aliases = Self.moduleAliases(in: state.tree, store: state.store)
        let render = TuningRender.render(state.manifest.tuning, manifest: state.manifest.file) { id in
            Self.modules(claiming: id, aliases: aliases)
        }
        let epoch = state.report.sourceDateEpoch
        for file in render.files {
            if let existing = state.tree[file.path], existing.origin != Self.origin {
                throw BuildError(stage: .tuning, "\(file.path) is rendered from \(file.source) (\(file.why)), but \(existing.origin ?? "the tree") already holds it; remove it there, the manifest's tuning section owns it")
            }
            let node: FileTree.Node
            if let text = file.text {
                node = FileTree.Node(.regular(try state.store.put(Array(text.utf8))), mode: 0o644, mtime: epoch, origin: Self.origin)
            } else {
                node = FileTree.Node(.symlink(file.target ?? "/dev/null"), mode: 0o777, mtime: epoch, origin: Self.origin)
            }
            try state.tree.insert(node, at: file.path)
        }
        var accounts: (users: [String], groups: [String]) = ([], [])
        if let sysusers = render.sysusers {
            do {
                accounts = try Configure.addAccounts(sysusers: sysusers, file: "tuning.dpdk", tree: &state.tree, store: state.store,
                                                     shadowLastChange: Int(epoch / 86400))
            } catch {
                throw BuildError(stage: .tuning, "cannot add the DPDK group and members (tuning.dpdk): \(error)")
            }
        }
        state.report.tuning = BuildReport.Tuning(settings: render.settings,
                                                 files: render.files.map { .init(path: $0.path, why: $0.why, source: $0.source) },
                                                 usersCreated: accounts.users, groupsCreated: accounts.groups)
        let made = accounts.users.count + accounts.groups.count
        return "\(render.files.count) files, \(render.settings.count) settings" + (made > 0 ? ", \(made) accounts" : "")
    }

    /// What `hostimg-agent preserved mount` formats an empty region with (e2fsprogs).
    static let mkfs = "/usr/sbin/mkfs.ext4"

    /// A file at `path`, through symlinks (merged /usr: /sbin → usr/sbin); e2fsprogs ships
    /// mkfs.ext4 as a hard link to mke2fs.
    static func hasProgram(_ path: String, in tree: FileTree) -> Bool {
        switch tree.resolve(path)?.node.kind {
        case .regular?, .hardlink?: return true
        default: return false
        }
    }

    /// `modules.alias` of the tree's kernel: (pattern, module) pairs, empty without a kernel.
    static func moduleAliases(in tree: FileTree, store: ContentStore) -> [(String, String)] {
        for base in ["/usr/lib/modules", "/lib/modules"] {
            for directory in tree.children(of: base) {
                guard let node = tree[directory + "/modules.alias"], let ref = node.content,
                      let bytes = try? store.read(ref) else { continue }
                return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
                    let words = line.split(separator: " ")
                    guard words.count == 3, words[0] == "alias", words[1].hasPrefix("pci:") else { return nil }
                    return (String(words[1]), String(words[2]))
                }
            }
        }
        return []
    }

    /// The modules whose PCI aliases match `id` ("8086:10d3"), as modprobe would pick them.
    static func modules(claiming id: String, aliases: [(String, String)]) -> [String] {
        guard let pci = try? Drivers.PCIID(id) else { return [] }
        return Array(Set(aliases.filter { pci.matches(alias: $0.0) }.map(\.1))).sorted()
    }
}
