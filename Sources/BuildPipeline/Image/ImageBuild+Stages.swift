#if canImport(Glibc)
import ByteCodec
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Bundle
import ContentStore
import DMVerity
import EROFS
import FileTree
import GPT
import Manifests
import Slots
import SystemIO

/// What the image stages share: the layout, the temporary disk image they write into, and
/// each stage's result for the next. Every output goes to its temporary name in `outputs`;
/// the caller renames them into place when the whole build succeeded.
struct ImageState {
    let options: ImageBuild.Options
    var tree: FileTree
    let store: ContentStore
    let observer: BuildObserver
    let outputs: StagedOutputs
    let ids: ImageLayout.Identifiers
    let parameters: DMVerity.Parameters
    let geometry: ImageLayout.SlotGeometry
    let diskSize: UInt64
    /// Slot A of the planned table: offsets do not depend on the root hash.
    let slot: Slot
    /// The ESP (the table's first partition).
    let espPartition: GPT.Partition
    /// The new disk image, under its temporary name until the outputs are committed.
    let temporary: String
    let disk: SystemIO.File

    var erofs: EROFS.WriteSummary?
    var verity: DMVerity.FormatResult?
    var boot: BootFiles?
    /// Slot A's UKI (the `uki` stage), for the ESP and the bundle.
    var uki: [UInt8]?
    var final: GPT.Table?
    var bundle: UpdateBundle.Manifest?

    /// Plans the layout (not a timed stage: it takes no time) and creates the temporary image.
    init(options: ImageBuild.Options, tree: FileTree, store: ContentStore, outputs: StagedOutputs,
         observer: @escaping BuildObserver) throws {
        self.options = options
        self.tree = tree
        self.store = store
        self.outputs = outputs
        self.observer = observer
        ids = ImageLayout.Identifiers(seed: options.seed)
        diskSize = options.diskSize
            ?? options.espSize + 2 * options.slotSize + options.stateSize + Manifest.Disk.gptOverhead
        do {
            parameters = DMVerity.Parameters(salt: try ids.veritySalt(), uuid: try ids.verityUUID())
            geometry = try ImageLayout.slotGeometry(slotSize: options.slotSize, parameters: parameters)
            let plan = try Self.table(options, diskSize: diskSize, geometry: geometry,
                                      rootHash: [UInt8](repeating: 0, count: 32), ids: ids)
            guard let slotA = SlotTable(plan).slots.first else {
                throw ImageError.layout("the planned table has no slot")
            }
            slot = slotA
            guard let esp = plan.partitions.first(where: { $0.type == GPT.PartitionType.esp }) else {
                throw ImageError.layout("the planned table has no ESP")
            }
            espPartition = esp
        } catch {
            throw BuildError(stage: .layout, cause: error)
        }
        temporary = outputs.temporary(for: options.imagePath)
        do {
            disk = try SystemIO.File(path: temporary, flags: O_RDWR | O_CREAT | O_TRUNC)
            try disk.truncate(to: diskSize)
        } catch {
            SystemIO.removeIfPresent(temporary)
            throw BuildError(stage: .layout, cause: error)
        }
    }

    var rootHashHex: String { verity.map { Hex.encode($0.rootHash) } ?? "" }

    static func table(_ options: ImageBuild.Options, diskSize: UInt64, geometry: ImageLayout.SlotGeometry,
                      rootHash: [UInt8], ids: ImageLayout.Identifiers) throws -> GPT.Table {
        try ImageLayout.table(diskSize: diskSize, espSize: options.espSize, stateSize: options.stateSize,
                              slot: geometry, label: options.label, rootHash: rootHash, ids: ids,
                              signed: options.signer != nil)
    }

    func progress(_ stage: StageName) -> @Sendable (UInt64, UInt64) -> Void {
        { [observer] done, total in observer(.progress(stage: stage, done: done, total: total, unit: .bytes)) }
    }

    func require<T>(_ value: T?, _ what: String, for stage: StageName) throws -> T {
        guard let value else { throw BuildError(stage: stage, "\(what) is missing: an earlier image stage did not run") }
        return value
    }
}

/// The root tree as an EROFS image, straight into slot A's root partition.
struct ErofsStage: BuildStage {
    static let name = StageName.erofs

    func run(_ state: inout ImageState) async throws -> String {
        let options = state.options
        let fsOptions = EROFS.WriteOptions(buildTime: options.sourceDateEpoch, uuid: try state.ids.fileSystemUUID(),
                                           volumeName: String(options.name.prefix(16)))
        let summary: EROFS.WriteSummary
        do {
            summary = try EROFS.write(state.tree, store: state.store, to: state.temporary, at: state.slot.root.partition.offset,
                                      limit: state.geometry.rootSize, options: fsOptions, progress: state.progress(.erofs))
        } catch let EROFSError.doesNotFit(bytes, _) {
            let parameters = state.parameters
            throw BuildError(stage: .erofs, cause: ImageError.rootTooBig(
                root: bytes, partition: state.geometry.rootSize, slotSize: options.slotSize,
                verity: DMVerity.hashDeviceSize(dataSize: bytes, parameters: parameters),
                minimumSlotSize: ImageLayout.minimumSlotSize(rootBytes: bytes, parameters: parameters)))
        }
        state.erofs = summary
        return "\(summary.inodes) inodes, \(Size.describe(summary.imageBytes))"
    }
}

/// The dm-verity hash tree of the root, into slot A's verity partition.
struct VerityStage: BuildStage {
    static let name = StageName.verity

    func run(_ state: inout ImageState) async throws -> String {
        let erofs = try state.require(state.erofs, "the EROFS image", for: Self.name)
        let slot = state.slot
        let result = try DMVerity.format(
            data: DMVerity.Region(path: state.temporary, offset: slot.root.partition.offset, length: erofs.imageBytes),
            hash: DMVerity.Region(path: state.temporary, offset: slot.verity.partition.offset, length: slot.verity.partition.size),
            parameters: state.parameters, progress: state.progress(.verity))
        state.verity = result
        return "root hash \(Hex.encode(result.rootHash)), \(Size.describe(result.hashBytes)) of hashes"
    }
}

/// The verity-sig partition: PKCS#7 over the root hash (left zero for an unsigned build, whose
/// table types it `Slot.unsignedSignatureType` until `hostimg sign`).
struct SignStage: BuildStage {
    static let name = StageName.sign

    func run(_ state: inout ImageState) async throws -> String {
        guard let signer = state.options.signer else {
            return "unsigned (run `hostimg sign` to sign)"
        }
        let verity = try state.require(state.verity, "the root hash", for: Self.name)
        let signature = try VeritySignature.sign(rootHash: verity.rootHash, key: signer.key, certificate: signer.certificate)
        try state.disk.write(try signature.encoded(), at: state.slot.signature.partition.offset)
        if signer.isDevelopment {
            state.observer(.warning("signed with a DEVELOPMENT key (\(signer.source)); this image must not reach a fleet"))
        }
        return "\(signer.certificate.subject), fingerprint \(signer.certificate.sha256Fingerprint.prefix(16))…"
    }
}

/// The slot's kernel, initrd and command line beside the image.
struct BootFilesStage: BuildStage {
    static let name = StageName.boot

    func run(_ state: inout ImageState) async throws -> String {
        let input = try state.require(state.options.boot, "the kernel", for: Self.name)
        let files = try BootStage.build(input, tree: state.tree, store: state.store, rootHash: state.rootHashHex,
                                        certificate: state.options.signer?.certificate, output: state.options.output,
                                        outputs: state.outputs, epoch: state.options.sourceDateEpoch)
        state.boot = files
        return "kernel \(files.kernelVersion), initrd \(Size.describe(files.initrdBytes)) (\(files.initrdModules.count) modules, \(files.initrdLibraries.count) libraries)"
    }
}

/// The final GPT (slot A's PARTUUIDs bound to the root hash), synced; the image moves into
/// place with the other outputs once the bundle is written too.
struct DiskStage: BuildStage {
    static let name = StageName.disk

    func run(_ state: inout ImageState) async throws -> String {
        let verity = try state.require(state.verity, "the root hash", for: Self.name)
        let final = try ImageState.table(state.options, diskSize: state.diskSize, geometry: state.geometry,
                                         rootHash: verity.rootHash, ids: state.ids)
        try GPT.write(final, to: state.temporary)
        try state.disk.sync()
        state.final = final
        return "\(state.options.imagePath): \(Size.describe(state.diskSize)), \(final.partitions.count) partitions"
    }
}

/// The signed update bundle, its payloads read back from the finished (still temporary) image
/// and boot files.
struct BundleStage: BuildStage {
    static let name = StageName.bundle

    func run(_ state: inout ImageState) async throws -> String {
        let options = state.options
        let erofs = try state.require(state.erofs, "the EROFS image", for: Self.name)
        let verity = try state.require(state.verity, "the root hash", for: Self.name)
        let image = state.temporary
        let slot = state.slot
        let outputs = state.outputs
        let payloads = [
            UpdateBundle.PayloadSource(role: .root, path: image, offset: slot.root.partition.offset, length: erofs.imageBytes),
            UpdateBundle.PayloadSource(role: .verity, path: image, offset: slot.verity.partition.offset, length: verity.hashBytes),
            UpdateBundle.PayloadSource(role: .veritySignature, path: image, offset: slot.signature.partition.offset,
                                       length: UInt64(VeritySignature.partitionSize)),
        ] + (state.boot.map { files in
            ([(UpdateBundle.PayloadRole.kernel, files.vmlinuz), (.initrd, files.initrd), (.commandLine, files.cmdline)]
                + (files.uki.map { [(UpdateBundle.PayloadRole.uki, $0)] } ?? [])).map { role, final in
                let path = outputs.current(final)
                return UpdateBundle.PayloadSource(role: role, path: path, offset: 0, length: fileSize(path))
            }
        } ?? [])
        let signer = options.signer.map { UpdateBundle.Signer(key: $0.key, certificate: $0.certificate) }
        let bundle = outputs.temporary(for: options.bundlePath)
        state.bundle = try UpdateBundle.write(
            to: bundle, name: options.name, version: options.version, rootHash: state.rootHashHex,
            payloads: payloads, signer: signer, mtime: options.sourceDateEpoch,
            commandLine: state.boot?.commandLine, qemuVersion: state.boot == nil ? nil : options.qemuVersion, progress: state.progress(.bundle))
        return "\(options.bundlePath): \(Size.describe(fileSize(bundle)))"
    }
}
