import ContentStore
import FileTree
import Foundation
import Manifests

/// What `hostimg build` asks of the image stage beyond the manifest.
public struct ImageRequest: Sendable {
    public enum Signing: Sendable {
        /// The manifest's `signing`; without it the cache's development key (and a warning).
        case automatic
        /// `--key` and `--cert` on the command line.
        case files(key: String, certificate: String)
        /// Leave the verity-sig partition empty and the bundle unsigned: `hostimg sign` later.
        case unsigned
    }

    public var signing: Signing
    /// 16 bytes; default `ImageBuild.Options.defaultSeed(name:)`.
    public var seed: [UInt8]?
    public var environment: [String: String]
    /// The `hostimg-init` program for the initrd; default `BootInput.locateInit`.
    public var initProgram: String?
    /// The `hostimg-agent` program for the image; default `HostFiles.locateAgent`.
    public var agentProgram: String?

    public init(signing: Signing = .automatic, seed: [UInt8]? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.signing = signing
        self.seed = seed
        self.environment = environment
    }
}

extension Pipeline {
    /// Resolved before the long stages run, so a missing key fails the build in its first second.
    func resolveSigner(_ request: ImageRequest, manifest: Manifest) throws -> SigningIdentity? {
        do {
            switch request.signing {
            case .unsigned:
                return nil
            case let .files(key, certificate):
                return try SigningIdentity.load(keyFile: key, certificateFile: certificate)
            case .automatic:
                if let signing = manifest.signing {
                    return try SigningIdentity.load(signing, environment: request.environment)
                }
                return try SigningIdentity.development(cache: options.cache)
            }
        } catch {
            throw BuildError(stage: .sign, cause: error)
        }
    }

    func locateInit(_ request: ImageRequest) throws -> String {
        try locateProgram(request.initProgram ?? BootInput.locateInit(environment: request.environment),
                          name: "hostimg-init", variable: "HOSTIMG_INIT", purpose: "the initrd needs", stage: .boot)
    }

    func locateAgent(_ request: ImageRequest) throws -> String {
        try locateProgram(request.agentProgram ?? HostFiles.locateAgent(environment: request.environment),
                          name: "hostimg-agent", variable: "HOSTIMG_AGENT",
                          purpose: "the image (health gate, blessing) needs", stage: .host)
    }

    /// A program the build puts into the image, found where the build looked (`found`).
    private func locateProgram(_ found: String?, name: String, variable: String, purpose: String,
                               stage: StageName) throws -> String {
        guard let path = found else {
            throw BuildError(stage: stage, "\(purpose) the \(name) program, and it is not beside this executable; build it with `swift build --product \(name)` or point \(variable) at it")
        }
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BuildError(stage: stage, "the \(name) program \(path) is not an executable file")
        }
        return path
    }

    /// The image stages' options from the manifest's `disk` section and the request.
    func imageOptions(_ state: TreeState, signer: SigningIdentity?) throws -> ImageBuild.Options {
        let name = state.name
        let disk = state.manifest.disk
        var imageOptions = ImageBuild.Options(
            output: options.output, name: name, version: state.manifest.image.version?.value ?? "0",
            sourceDateEpoch: state.report.sourceDateEpoch,
            seed: try options.image.seed ?? ImageBuild.Options.defaultSeed(name: name),
            diskSize: disk.size?.value, slotSize: disk.slotSize?.value ?? Manifest.Disk.defaultSlotSize,
            espSize: disk.espSize?.value ?? Manifest.Disk.defaultESPSize,
            stateSize: disk.stateSize?.value ?? Manifest.Disk.defaultStateSize, signer: signer)
        imageOptions.bootTries = state.manifest.boot.triesValue
        imageOptions.secureBoot = state.manifest.boot.secureBootValue
        imageOptions.qemuVersion = state.installed.first { $0.name == "qemu-system-x86" }?.version
        do {
            try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        } catch {
            throw BuildError(stage: .layout, "cannot create \(options.output): \(error.localizedDescription)")
        }
        return imageOptions
    }
}
