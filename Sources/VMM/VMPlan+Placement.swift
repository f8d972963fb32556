import SystemIO

/// Where each part of a VM's guest RAM goes across the kexec, and what makes a VM cold.
///
/// | RAM                                                                  | placement        |
/// |----------------------------------------------------------------------|------------------|
/// | `memory-backend-file,share=on`, a file under the preserved mount     | kept in place    |
/// | file on hugetlbfs (backend or `-mem-path`), `memory-backend-memfd,hugetlb=on` | cold    |
/// | anonymous `-m`, `memory-backend-ram`, memfd, any other file          | migration stream |
/// | a `mem-path` directory (QEMU maps an unlinked file in it)            | migration stream |
/// | another `memory-backend-*` type                                      | cold             |
///
/// A block in the stream that is shared (`share=on`, memfd's default) would be skipped by
/// `x-ignore-shared`, so a VM with one is saved without that capability: then every block,
/// the preserved ones too, goes in the stream (`Entry.ignoreShared`, `Entry.streamBytes`).
extension VMPlan {
    /// One part of guest RAM across the switch.
    enum Placement: Hashable {
        /// A shared file in the preserved region: not copied, its pages stay where they are.
        case inPlace(PreservedFile)
        /// Copied into the migration stream; `shared` when `x-ignore-shared` would skip it.
        case stream(bytes: UInt64, shared: Bool)
        /// Neither: the reason.
        case cold(String)
    }

    /// Facts about paths the plan needs from the host, a value so tests can fake them.
    public struct FileSystemFacts: Sendable {
        /// Whether `path` (a file or a directory) is on a hugetlbfs mount.
        public var isHugetlbfs: @Sendable (String) -> Bool
        /// Whether `path` is a directory.
        public var isDirectory: @Sendable (String) -> Bool

        public init(isHugetlbfs: @escaping @Sendable (String) -> Bool, isDirectory: @escaping @Sendable (String) -> Bool) {
            self.isHugetlbfs = isHugetlbfs
            self.isDirectory = isDirectory
        }

        /// `HUGETLBFS_MAGIC` from <linux/magic.h>, statfs(2)'s `f_type` on hugetlbfs.
        public static let hugetlbfsMagic: UInt64 = 0x9584_58f6

        /// The running host's: statfs(2) of the path (of its directory when the path itself
        /// is gone) and stat(2), through SystemIO.
        public static let live = FileSystemFacts(
            isHugetlbfs: { path in
                let type = (try? SystemIO.fileSystemType(of: path)) ?? (try? SystemIO.fileSystemType(of: SystemIO.directory(of: path)))
                return type == hugetlbfsMagic
            },
            isDirectory: { SystemIO.isDirectory($0) })
    }

    static func placements(of ram: QEMUArguments.GuestRAM, settings: Settings) -> [Placement] {
        var result: [Placement] = []
        if let bytes = ram.unbacked {
            if let path = ram.unbackedPath, settings.fileSystem.isHugetlbfs(path) {
                result.append(.cold("its main RAM is on hugetlbfs (-mem-path \(path)): \(hugePagesWhy)"))
            } else {
                // Anonymous memory, or -mem-path's private (MAP_PRIVATE) mapping: only the stream keeps it.
                result.append(.stream(bytes: bytes, shared: false))
            }
        }
        for backend in ram.backends { result.append(placement(of: backend, settings: settings)) }
        return result
    }

    static let hugePagesWhy = "huge pages are not kept across the kexec, and hostimg does not save them"

    static func placement(of backend: QEMUArguments.MemoryBackend, settings: Settings) -> Placement {
        let name = "RAM backend '\(backend.id)'"
        switch backend.type {
        case "memory-backend-file":
            let path = backend.memPath ?? ""
            if settings.fileSystem.isHugetlbfs(path) { return .cold("\(name) is on hugetlbfs (\(path)): \(hugePagesWhy)") }
            if backend.share, isPath(path, under: settings.preservedMount), !settings.fileSystem.isDirectory(path) {
                return .inPlace(PreservedFile(path: path, bytes: backend.size))
            }
            return .stream(bytes: backend.size, shared: backend.share)
        case "memory-backend-memfd":
            if backend.hugetlb { return .cold("\(name) is a memfd of huge pages (hugetlb=on): \(hugePagesWhy)") }
            return .stream(bytes: backend.size, shared: backend.share)
        case "memory-backend-ram":
            return .stream(bytes: backend.size, shared: backend.share)
        default:
            return .cold("\(name) has type \(backend.type), which hostimg can neither keep in place nor save")
        }
    }

    /// Whether `path` lies inside the directory `mount`, component by component (a `..`
    /// anywhere makes it not, since links and dot-dots are not resolved here).
    static func isPath(_ path: String, under mount: String) -> Bool {
        let parts = path.split(separator: "/")
        let base = mount.split(separator: "/")
        guard path.hasPrefix("/"), !parts.contains(".."), parts.count > base.count else { return false }
        return Array(parts.prefix(base.count)) == base
    }

    /// The reasons a VM's devices and options make it cold.
    static func deviceReasons(_ arguments: QEMUArguments) throws(QEMUArgumentsError) -> [String] {
        var reasons = try arguments.devices().filter(\.isPassthrough).map { device in
            "device \(device.summary) passes a host device through: QEMU cannot migrate it unless the guest suspends it first"
        }
        if arguments.has("snapshot") {
            reasons.append("-snapshot keeps its disk writes in temporary files that end with the QEMU process")
        }
        for file in arguments.values(of: "readconfig") {
            reasons.append("-readconfig \(file) holds part of its configuration, which the planner does not read")
        }
        return reasons
    }

    /// The plan of one VM before the switch-wide checks (state space, blackout).
    static func assess(_ vm: RunningVM, settings: Settings) -> Entry {
        var entry = Entry(vm: vm)
        if let problem = vm.problem {
            // Kept when readable, so a cold restart (--allow-cold) still has the command line.
            entry.arguments = vm.argv.flatMap { try? QEMUArguments($0) }
            entry.path = .cold([problem])
            return entry
        }
        guard let argv = vm.argv else {
            entry.path = .cold(["its command line is unknown"])
            return entry
        }
        do {
            let arguments = try QEMUArguments(argv)
            let ram = try arguments.guestRAM()
            entry.ramBytes = ram.totalBytes
            var reasons = try deviceReasons(arguments)
            let placements = placements(of: ram, settings: settings)
            reasons += placements.compactMap { if case let .cold(reason) = $0 { reason } else { nil } }
            if let running = vm.qemuVersion {
                reasons += versionReasons(running: running, new: settings.newQEMU, machineType: try arguments.machine()["type"])
            } else {
                reasons.append("its QEMU version is unknown (QMP query-version did not answer)")
            }
            entry.arguments = arguments
            guard reasons.isEmpty else {
                entry.path = .cold(reasons)
                return entry
            }
            entry.settle(placements, settings: settings)
        } catch {
            entry.path = .cold(["cannot read its command line: \(error)"])
        }
        return entry
    }
}

extension VMPlan.Entry {
    /// `.preserve` or `.save` from the placements of a VM that is not cold.
    mutating func settle(_ placements: [VMPlan.Placement], settings: VMPlan.Settings) {
        var streamed: [(bytes: UInt64, shared: Bool)] = []
        for placement in placements {
            switch placement {
            case let .inPlace(file): preservedFiles.append(file)
            case let .stream(bytes, shared): streamed.append((bytes, shared))
            case .cold: break
            }
        }
        if streamed.isEmpty {
            path = .preserve
            stateFile = settings.preservedMount + "/" + name + ".state"
            return
        }
        path = .save
        ignoreShared = !streamed.contains { $0.shared }
        streamBytes = ignoreShared ? streamed.reduce(0) { $0 &+ $1.bytes } : ramBytes
        stateFile = settings.stateDirectory + "/" + name + ".state"
    }
}
