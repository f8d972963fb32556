/// Guest RAM as a QEMU command line lays it out: which memory QEMU maps into the guest and
/// would put in a migration stream, and what backs each part.
///
/// ```
/// main RAM ── -machine memory-backend=ID ──────────────► that backend
///          ── -numa node,memdev=ID (one per node) ─────► those backends
///          ── otherwise: -m SIZE, anonymous, or a private file under -mem-path
/// more RAM ── -device pc-dimm|nvdimm|virtio-mem-pci|ivshmem-plain,memdev=ID, and
///             -machine ...X.memdev=ID ─────────────────► those backends
/// ```
///
/// A backend that nothing references is not guest RAM: QEMU registers a RAM block for
/// migration only where a machine, a NUMA node or a device maps it (`vmstate_register_ram`),
/// so such a backend is left out.
extension QEMUArguments {
    /// `-m [size=]SIZE[,slots=N,maxmem=SIZE]`; several `-m` merge, a later key winning.
    public struct Memory: Hashable, Sendable {
        /// Initial guest RAM. QEMU's x86 machines default to 128 MiB without `-m`.
        public var size: UInt64
        /// Hot-plug slots, if given.
        public var slots: Int?
        /// The most RAM hot-plug may reach, if given.
        public var maxMemory: UInt64?
    }

    /// The x86 machines' RAM without `-m` (`default_ram_size`).
    public static let defaultMemorySize: UInt64 = 128 << 20

    public func memory() throws(QEMUArgumentsError) -> Memory {
        var merged = QEMUOptionList()
        for text in values(of: "m") { merged.pairs += try QEMUOptionList.parse(text, impliedKey: "size").pairs }
        let size = try merged["size"].map { text throws(QEMUArgumentsError) in
            try QEMUSize.bytes(text, key: "-m size", defaultUnit: QEMUSize.mebibyte)
        }
        let slots = try merged["slots"].map { text throws(QEMUArgumentsError) in
            guard let count = Int(text), count >= 0 else { throw .badValue(key: "-m slots", value: text, expected: "a count") }
            return count
        }
        let maxMemory = try merged["maxmem"].map { text throws(QEMUArgumentsError) in try QEMUSize.bytes(text, key: "-m maxmem") }
        return Memory(size: size ?? Self.defaultMemorySize, slots: slots, maxMemory: maxMemory)
    }

    /// `-mem-path PATH`: main RAM (when no backend holds it) in a private file mapping there.
    public var memPath: String? { values(of: "mem-path").last }

    /// One `-object memory-backend-*`.
    public struct MemoryBackend: Hashable, Sendable {
        /// `qom-type`: `memory-backend-file`, `memory-backend-memfd`, `memory-backend-ram`, ...
        public var type: String
        public var id: String
        public var size: UInt64
        /// `mem-path` (file backends): a file, or a directory QEMU makes an unlinked file in.
        public var memPath: String?
        /// `share`: MAP_SHARED, the pages are the file's; QEMU's default is off except memfd.
        public var share: Bool
        /// `hugetlb` (memfd backends): the memfd's pages are huge pages.
        public var hugetlb: Bool
        public var properties: QEMUOptionList
    }

    /// Every `-object` whose `qom-type` starts with `memory-backend-`, in order.
    public func memoryBackends() throws(QEMUArgumentsError) -> [MemoryBackend] {
        var backends: [MemoryBackend] = []
        for text in values(of: "object") {
            let list = try QEMUOptionList.parse(text, impliedKey: "qom-type", allowJSON: true)
            guard let type = list["qom-type"], type.hasPrefix("memory-backend-") else { continue }
            let option = "-object \(type)"
            guard let id = list["id"] else { throw .missingProperty(option: option, key: "id") }
            guard let sizeText = list["size"] else { throw .missingProperty(option: "\(option),id=\(id)", key: "size") }
            let size = try QEMUSize.bytes(sizeText, key: "\(id) size")
            if type == "memory-backend-file", list["mem-path"] == nil {
                throw .missingProperty(option: "\(option),id=\(id)", key: "mem-path")
            }
            backends.append(MemoryBackend(
                type: type, id: id, size: size, memPath: list["mem-path"],
                share: try list.flag("share") ?? (type == "memory-backend-memfd"),
                hugetlb: try list.flag("hugetlb") ?? false, properties: list))
        }
        return backends
    }

    /// Guest RAM: main RAM outside any backend, if so, and every backend mapped into the guest.
    public struct GuestRAM: Hashable, Sendable {
        /// Main RAM when no backend holds it: `-m`'s size, anonymous or under `-mem-path`.
        public var unbacked: UInt64?
        /// `-mem-path` when `unbacked` lives in a file there.
        public var unbackedPath: String?
        /// The backends the guest maps, each once, main RAM's first.
        public var backends: [MemoryBackend]

        /// All guest RAM in bytes.
        public var totalBytes: UInt64 {
            backends.reduce(unbacked ?? 0) { $0 &+ $1.size }
        }
    }

    public func guestRAM() throws(QEMUArgumentsError) -> GuestRAM {
        let all = try memoryBackends()
        let machine = try machine()
        let nodes = try values(of: "numa").map { text throws(QEMUArgumentsError) in try QEMUOptionList.parse(text, impliedKey: "type") }
        var mainIDs: [(from: String, id: String)] = []
        if let id = machine["memory-backend"] {
            mainIDs = [("-machine memory-backend", id)]
        } else {
            mainIDs = nodes.compactMap { node in node["memdev"].map { ("-numa node,memdev", $0) } }
        }
        var otherIDs = machine.pairs.filter { $0.key.hasSuffix(".memdev") }.map { ("-machine \($0.key)", $0.value) }
        for device in try devices() {
            if let id = device.properties["memdev"] { otherIDs.append(("-device \(device.driver),memdev", id)) }
        }
        var backends: [MemoryBackend] = []
        for (from, id) in mainIDs + otherIDs where !backends.contains(where: { $0.id == id }) {
            guard let backend = all.first(where: { $0.id == id }) else { throw .unknownReference(from: from, id: id) }
            backends.append(backend)
        }
        guard mainIDs.isEmpty else { return GuestRAM(unbacked: nil, unbackedPath: nil, backends: backends) }
        return GuestRAM(unbacked: try memory().size, unbackedPath: memPath, backends: backends)
    }
}
