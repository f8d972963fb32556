#if canImport(Glibc)
import ByteCodec
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Bundle
import ContentStore
import Crypto
import DMVerity
import EROFS
import FileTree
import Foundation
import GPT
import Manifests
import Slots

/// The image stages: root tree → EROFS (`erofs`) → dm-verity (`verity`) → verity-sig
/// (`sign`) → kernel, initrd, command line (`boot`) → GPT disk image with slot A filled and
/// slot B empty (`disk`) → signed update bundle (`bundle`), each a `BuildStage` in
/// ImageBuild+Stages.swift.
///
/// Every output is written under a temporary name beside its final one (`StagedOutputs`);
/// the disk image, bundle and boot files appear under their final names only when all are
/// complete, so a build that fails leaves the previous outputs as they were.
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
        /// The on-host agent added to the tree with the health gate and the ESP mount
        /// (nil: none, e.g. a tree without a kernel).
        public var agentProgram: String?
        /// Boot-counting tries of the slot's UKI on the ESP (`boot.tries`).
        public var bootTries: Int = Manifest.Boot.defaultTries
        /// Sign systemd-boot, the UKI and its kernel by Authenticode (`boot.secureBoot`).
        public var secureBoot = false
        /// The certificates the image's agent accepts bundles from, when they are not just the
        /// signer's (nil: the signer's certificate, none for an unsigned build). The `host`
        /// stage bakes them into the tree (`HostFiles.trustDirectory`); see `trustStore`.
        public var trustedCertificates: [Certificate]?
        /// The Debian version of the tree's `qemu-system-x86` (nil: none), written into the
        /// bundle's manifest for a VM-preserving switch's plan.
        public var qemuVersion: String?

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

        /// What the `host` stage puts into the trust store: `trustedCertificates`, else the
        /// signer's certificate. Empty for an unsigned build: its agent refuses every bundle.
        public var trustStore: [Certificate] {
            trustedCertificates ?? signer.map { [$0.certificate] } ?? []
        }

        public var label: String { "\(name)_\(version)" }
        public var imagePath: String { output + "/\(name).img" }
        public var bundlePath: String { output + "/\(name).bundle" }
    }

    public struct Result: Sendable {
        public var report: BuildReport.Image
        public var boot: BootFiles?
        public var stages: [BuildReport.Stage]
        /// The root tree the EROFS image holds: the input with hostimg's own files added.
        public var tree: FileTree
    }

    let options: Options
    let observer: BuildObserver

    public init(_ options: Options, observer: @escaping BuildObserver = { _ in }) {
        self.options = options
        self.observer = observer
    }

    /// Everything is written straight into a temporary disk image (no intermediate copies);
    /// the image, bundle and boot files appear under their names only when all of them are
    /// complete and synced (a failure leaves the previous ones as they were), and the
    /// bundle's payloads are read back from the temporary image.
    public func run(tree: FileTree, store: ContentStore) async throws -> Result {
        let outputs = StagedOutputs()
        defer { outputs.discard() }
        let result = try await run(tree: tree, store: store, runner: StageRunner(observer: observer), outputs: outputs)
        do {
            try outputs.commit()
        } catch {
            throw BuildError(stage: .bundle, cause: error)
        }
        return result
    }

    /// The image stages on the pipeline's runner, so the build has one timer; the outputs
    /// stay staged in `outputs` for the pipeline to commit with report.json.
    func run(tree: FileTree, store: ContentStore, runner: StageRunner, outputs: StagedOutputs) async throws -> Result {
        var runner = runner
        var state = try ImageState(options: options, tree: tree, store: store, outputs: outputs, observer: observer)
        if options.agentProgram != nil {
            try await runner.run(HostFilesStage(), on: &state)
        }
        try await runner.run(ErofsStage(), on: &state)
        try await runner.run(VerityStage(), on: &state)
        try await runner.run(SignStage(), on: &state)
        if options.boot != nil {
            try await runner.run(BootFilesStage(), on: &state)
            try await runner.run(UKIStage(), on: &state)
        }
        try await runner.run(ESPStage(), on: &state)
        try await runner.run(DiskStage(), on: &state)
        try await runner.run(BundleStage(), on: &state)
        guard let erofs = state.erofs, let verity = state.verity, let final = state.final, let bundle = state.bundle else {
            throw BuildError(stage: .bundle, "the image stages ended without a disk image and bundle")
        }
        let report = BuildReport.Image(
            path: options.imagePath, bundlePath: options.bundlePath, label: options.label,
            seed: Hex.encode(options.seed), rootHash: state.rootHashHex, table: final, slot: state.geometry,
            erofs: erofs, verity: verity, signer: options.signer, bundle: bundle)
        return Result(report: report, boot: state.boot, stages: runner.timings, tree: state.tree)
    }
}
