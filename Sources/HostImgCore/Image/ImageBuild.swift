#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Bundle
import ByteCodec
import ContentStore
import Crypto
import DMVerity
import EROFS
import FileTree
import Foundation
import GPT

/// The image stage (issue 4): root tree → EROFS → dm-verity → verity-sig → GPT disk image
/// with slot A filled and slot B empty → signed update bundle.
///
/// Intermediate files live in a work directory inside the output directory and are removed
/// at the end; the disk image and bundle appear under their final names only when complete.
public struct ImageBuild: Sendable {
    public struct Options: Sendable {
        public var output: String
        public var name: String
        public var version: String
        /// File times and the EROFS build time.
        public var sourceDateEpoch: Int64
        /// 16 bytes: every UUID and the verity salt derive from it.
        public var seed: [UInt8]
        public var diskSize: UInt64?
        public var slotSize: UInt64
        public var espSize: UInt64
        public var stateSize: UInt64
        /// nil builds unsigned: the verity-sig partition stays zero, the bundle has no
        /// signature, and `hostimg sign` adds both later.
        public var signer: SigningIdentity?
        /// The kernel, initrd and command line of the slot (nil for a tree without a kernel).
        public var boot: BootInput?

        public init(output: String, name: String, version: String, sourceDateEpoch: Int64, seed: [UInt8],
                    diskSize: UInt64? = nil, slotSize: UInt64 = Manifest.Disk.defaultSlotSize,
                    espSize: UInt64 = Manifest.Disk.defaultESPSize, stateSize: UInt64 = Manifest.Disk.defaultStateSize,
                    signer: SigningIdentity? = nil) {
            self.output = output
            self.name = name
            self.version = version
            self.sourceDateEpoch = sourceDateEpoch
            self.seed = seed
            self.diskSize = diskSize
            self.slotSize = slotSize
            self.espSize = espSize
            self.stateSize = stateSize
            self.signer = signer
        }

        /// The default seed: the same for every build of one image name, so partition UUIDs
        /// that do not carry a root hash (ESP, state, slot B) stay put across versions.
        public static func defaultSeed(name: String) throws -> [UInt8] {
            Array(try Crypto.SHA256.hash(Array("hostimg seed v1\0\(name)".utf8)).prefix(16))
        }

        public var label: String { "\(name)_\(version)" }
        public var imagePath: String { output + "/\(name).img" }
        public var bundlePath: String { output + "/\(name).bundle" }
    }

    public struct Result: Sendable {
        public var report: BuildReport.Image
        public var boot: BootFiles?
        public var stages: [BuildReport.Stage]
    }

    let options: Options
    let observer: BuildObserver

    public init(_ options: Options, observer: @escaping BuildObserver = { _ in }) {
        self.options = options
        self.observer = observer
    }

    /// Everything is written straight into a temporary disk image (no intermediate copies);
    /// the image appears under its name only when complete and synced, and the bundle's
    /// payloads are read back from it.
    public func run(tree: FileTree, store: ContentStore) throws -> Result {
        var timings = StageTimer(observer: observer)
        let ids = ImageLayout.Identifiers(seed: options.seed)
        let parameters: DMVerity.Parameters
        let slot: ImageLayout.SlotGeometry
        let diskSize = options.diskSize
            ?? options.espSize + 2 * options.slotSize + options.stateSize + Manifest.Disk.gptOverhead
        let plan: GPT.Table
        do {
            parameters = DMVerity.Parameters(salt: try ids.veritySalt(), uuid: try ids.verityUUID())
            slot = try ImageLayout.slotGeometry(slotSize: options.slotSize, parameters: parameters)
            // Offsets do not depend on the root hash; the final table differs only in two UUIDs.
            plan = try table(diskSize: diskSize, slot: slot, rootHash: [UInt8](repeating: 0, count: 32), ids: ids)
        } catch {
            throw BuildError(stage: "image", "\(error)")
        }
        let temporary = AtomicFile.temporaryPath(for: options.imagePath)
        var committed = false
        defer { if !committed { unlink(temporary) } }
        let disk: FileHandleFD
        do {
            disk = try FileHandleFD(path: temporary, flags: O_RDWR | O_CREAT | O_TRUNC)
            try disk.truncate(to: diskSize)
        } catch {
            throw BuildError(stage: "image", "\(error)")
        }
        let rootPartition = plan.partitions[1]
        let verityPartition = plan.partitions[2]
        let signaturePartition = plan.partitions[3]

        let erofs = try timings.run("erofs") {
            let fsOptions = EROFS.WriteOptions(buildTime: options.sourceDateEpoch, uuid: try ids.fileSystemUUID(),
                                               volumeName: String(options.name.prefix(16)))
            do {
                let summary = try EROFS.write(tree, store: store, to: temporary, at: rootPartition.offset,
                                              limit: slot.rootSize, options: fsOptions) { done, total in
                    observer(.progress(stage: "erofs", done: done, total: total, unit: .bytes))
                }
                return (summary, "\(summary.inodes) inodes, \(Size.describe(summary.imageBytes))")
            } catch let EROFSError.doesNotFit(bytes, _) {
                throw BuildError(stage: "erofs", "\(ImageError.rootTooBig(root: bytes, partition: slot.rootSize, slotSize: options.slotSize, verity: DMVerity.hashDeviceSize(dataSize: bytes, parameters: parameters), minimumSlotSize: ImageLayout.minimumSlotSize(rootBytes: bytes, parameters: parameters)))")
            }
        }
        let verity = try timings.run("verity") {
            let result = try DMVerity.format(
                data: DMVerity.Region(path: temporary, offset: rootPartition.offset, length: erofs.imageBytes),
                hash: DMVerity.Region(path: temporary, offset: verityPartition.offset, length: verityPartition.size),
                parameters: parameters
            ) { done, total in
                observer(.progress(stage: "verity", done: done, total: total, unit: .bytes))
            }
            return (result, "root hash \(Hex.encode(result.rootHash)), \(Size.describe(result.hashBytes)) of hashes")
        }
        let rootHash = Hex.encode(verity.rootHash)

        try timings.run("sign") { () -> ((), String) in
            guard let signer = options.signer else {
                return ((), "unsigned (run `hostimg sign` to sign)")
            }
            let signature = try VeritySignature.sign(rootHash: verity.rootHash, key: signer.key, certificate: signer.certificate)
            try disk.write(try signature.encoded(), at: signaturePartition.offset)
            if signer.isDevelopment {
                observer(.warning("signed with a DEVELOPMENT key (\(signer.source)); this image must not reach a fleet"))
            }
            return ((), "\(signer.certificate.subject), fingerprint \(signer.certificate.sha256Fingerprint.prefix(16))…")
        }

        let boot = try options.boot.map { input in
            try timings.run("boot") { () -> (BootFiles, String) in
                let files = try BootStage.build(input, tree: tree, store: store, rootHash: rootHash,
                                                certificate: options.signer?.certificate, output: options.output,
                                                epoch: options.sourceDateEpoch)
                return (files, "kernel \(files.kernelVersion), initrd \(Size.describe(files.initrdBytes)) (\(files.initrdModules.count) modules, \(files.initrdLibraries.count) libraries)")
            }
        }

        let final = try timings.run("disk") { () -> (GPT.Table, String) in
            let final = try table(diskSize: diskSize, slot: slot, rootHash: verity.rootHash, ids: ids)
            try GPT.write(final, to: temporary)
            try disk.sync()
            try AtomicFile.commit(temporary, to: options.imagePath)
            committed = true
            return (final, "\(options.imagePath): \(Size.describe(diskSize)), \(final.partitions.count) partitions")
        }

        let bundle = try timings.run("bundle") { () -> (UpdateBundle.Manifest, String) in
            let image = options.imagePath
            let payloads = [
                UpdateBundle.PayloadSource(role: "root", path: image, offset: rootPartition.offset, length: erofs.imageBytes),
                UpdateBundle.PayloadSource(role: "verity", path: image, offset: verityPartition.offset, length: verity.hashBytes),
                UpdateBundle.PayloadSource(role: "verity-sig", path: image, offset: signaturePartition.offset,
                                           length: UInt64(VeritySignature.partitionSize)),
            ] + (boot.map { files in
                [("kernel", files.vmlinuz), ("initrd", files.initrd), ("cmdline", files.cmdline)].map { role, path in
                    UpdateBundle.PayloadSource(role: role, path: path, offset: 0, length: fileSize(path))
                }
            } ?? [])
            let signer = options.signer.map { UpdateBundle.Signer(key: $0.key, certificate: $0.certificate) }
            let manifest = try UpdateBundle.write(
                to: options.bundlePath, name: options.name, version: options.version, rootHash: rootHash,
                payloads: payloads, signer: signer, mtime: options.sourceDateEpoch
            ) { done, total in
                observer(.progress(stage: "bundle", done: done, total: total, unit: .bytes))
            }
            return (manifest, "\(options.bundlePath): \(Size.describe(fileSize(options.bundlePath)))")
        }

        let report = BuildReport.Image(
            path: options.imagePath, bundlePath: options.bundlePath, label: options.label,
            seed: Hex.encode(options.seed), rootHash: rootHash, table: final, slot: slot,
            erofs: erofs, verity: verity, signer: options.signer, bundle: bundle)
        return Result(report: report, boot: boot, stages: timings.stages)
    }

    private func table(diskSize: UInt64, slot: ImageLayout.SlotGeometry, rootHash: [UInt8],
                       ids: ImageLayout.Identifiers) throws -> GPT.Table {
        try ImageLayout.table(diskSize: diskSize, espSize: options.espSize, stateSize: options.stateSize,
                              slot: slot, label: options.label, rootHash: rootHash, ids: ids)
    }
}

/// Times stages, tells the observer, and turns any error into a `BuildError` naming the stage.
struct StageTimer {
    let observer: BuildObserver
    private(set) var stages: [BuildReport.Stage] = []

    init(observer: @escaping BuildObserver) { self.observer = observer }

    mutating func run<T>(_ name: String, _ body: () throws -> (T, String)) throws -> T {
        observer(.stageStarted(name))
        let clock = ContinuousClock()
        let start = clock.now
        let value: T
        let summary: String
        do {
            (value, summary) = try body()
        } catch let error as BuildError {
            throw error
        } catch {
            throw BuildError(stage: name, "\(error)")
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        stages.append(BuildReport.Stage(name: name, seconds: (seconds * 1000).rounded() / 1000, summary: summary))
        observer(.stageFinished(name, seconds: seconds, summary: summary))
        return value
    }
}
