import ContentStore
import Crypto
import Debian
import FileTree
import Foundation
import SBOM

/// The SBOM's inputs as the build goes: each package's declared license read from its
/// copyright file right after the unpack (the prune stage removes /usr/share/doc), the rest
/// at the end from the lock, the pruned tree and the image's root hash.
extension TreeState {
    /// Each installed package's declared license, from `/usr/share/doc/NAME/copyright`.
    mutating func recordLicenses() {
        for package in installed {
            guard let (_, node) = tree.resolve("/usr/share/doc/\(package.name)/copyright"), let ref = node.content,
                  let bytes = try? store.read(ref)
            else { continue }
            licenses[package.name] = DebianCopyright.declared(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// `NAME.spdx.json`'s bytes (SPDX 2.3).
    func sbomBytes() throws -> [UInt8] {
        let entries = lock?.entries ?? []
        let packages = entries.map { entry in
            SBOMInput.Package(name: entry.package, version: entry.version, architecture: entry.architecture,
                              downloadLocation: entry.origin.hasSuffix("/") ? entry.origin + entry.filename : entry.origin + "/" + entry.filename,
                              sha256: entry.sha256, license: licenses[entry.package], selectedBy: entry.selectedBy)
        }
        var lockDigest: String?
        if let lockPath, let bytes = FileManager.default.contents(atPath: lockPath) {
            lockDigest = try SHA256.hexDigest([UInt8](bytes))
        }
        let input = SBOMInput(
            name: name, version: manifest.image.version?.value ?? "0", rootHash: report.disk?.rootHash,
            sourceDateEpoch: report.sourceDateEpoch, lockDigest: lockDigest, toolVersion: HostImgRelease.version,
            packages: packages, kernel: try sbomKernel(), overlayFiles: try sbomFiles { $0.origin?.hasPrefix("overlay:") == true })
        return try SBOMBuilder.encoded(try SBOMBuilder.document(input))
    }

    private func sbomKernel() throws -> SBOMInput.Kernel? {
        guard let kernel else { return nil }
        let modules = try sbomFiles(under: kernel.modulesPath + "/") { path, _ in
            path.hasSuffix(".ko") || path.hasSuffix(".ko.xz") || path.hasSuffix(".ko.zst") || path.hasSuffix(".ko.gz")
        }
        return SBOMInput.Kernel(release: kernel.version, package: kernelFile?.package?.value, modules: modules)
    }

    private func sbomFiles(_ include: (FileTree.Node) -> Bool) throws -> [SBOMInput.File] {
        try sbomFiles(under: "/") { _, node in include(node) }
    }

    /// The regular files under `prefix` that `include` takes, with SHA-1 and SHA-256.
    private func sbomFiles(under prefix: String, _ include: (String, FileTree.Node) -> Bool) throws -> [SBOMInput.File] {
        var files: [SBOMInput.File] = []
        for (path, node) in tree.unorderedEntries where path.hasPrefix(prefix) && include(path, node) {
            guard let ref = node.content else { continue }
            let bytes = try store.read(ref)
            files.append(SBOMInput.File(path: path, sha1: try SHA1.hexDigest(bytes), sha256: ref.sha256,
                                        comment: node.origin.map { "from \($0)" }))
        }
        return files.sorted { $0.path < $1.path }
    }
}
