import ArgumentParser
import BuildPipeline
import Manifests

extension HostImg {
    /// `hostimg inspect IMAGE|BUNDLE`: what an image or bundle holds.
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what is in a disk image or update bundle.",
            discussion: """
                For a disk image: the partition table (label, DPS type, PARTUUID, offset, \
                size, attributes), then each slot: version label, root hash, verity data \
                blocks, EROFS inodes and size, and the fingerprint of the certificate that \
                signed it; --files lists every path of each filled slot's root file system \
                (type, mode, owner, size, link target). For a bundle: its signed manifest. \
                Reads only; nothing is mounted and nothing is checked (that is `verify`).
                """
        )

        @Argument(
            help: ArgumentHelp("The disk image or bundle to inspect.", valueName: "image-or-bundle"),
            completion: .file()
        )
        var image: String

        @Flag(help: "List the files of each filled slot's root file system.")
        var files = false

        @Option(help: ArgumentHelp("Output format: text or json.", valueName: "format"))
        var format: ReportFormat = .text

        func run() async throws {
            let console = Console.current
            let inspection: Inspection
            do {
                inspection = try Inspection.inspect(path: image, listFiles: files)
            } catch {
                console.error("hostimg: error: \(error)")
                throw ExitCode.usage
            }
            if format == .json {
                console.write(try JSONText.encode(inspection))
                return
            }
            if let manifest = inspection.bundle {
                console.write("bundle \(manifest.name) \(manifest.version) (\(manifest.architecture)), \(inspection.bundleSigned == true ? "signed" : "UNSIGNED")\n")
                console.write("root hash \(manifest.rootHash)\n")
                for payload in manifest.payloads {
                    console.write("  \(payload.role.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(Size.describe(payload.size)) (\(Size.describe(payload.compressedSize)) \(payload.compression)) sha256 \(payload.sha256)\n")
                }
                return
            }
            console.write("disk \(inspection.diskGUID ?? "?"), \(Size.describe(inspection.diskBytes ?? 0))\n")
            for part in inspection.partitions {
                let attributes = part.attributes.isEmpty ? "" : " [\(part.attributes.joined(separator: ","))]"
                console.write("  \(part.number)  \(part.label.padding(toLength: 20, withPad: " ", startingAt: 0)) \(part.type.padding(toLength: 23, withPad: " ", startingAt: 0)) \(part.uuid)  \(Size.describe(part.size))\(attributes)\n")
            }
            for slot in inspection.slots {
                if slot.empty {
                    console.write("slot \(slot.slot): empty\n")
                    continue
                }
                console.write("slot \(slot.slot): \(slot.label)\n")
                console.write("  root hash  \(slot.rootHash ?? "?")\n")
                console.write("  EROFS      \(slot.inodes ?? 0) inodes, \(Size.describe(slot.fileSystemBytes ?? 0)), \(slot.dataBlocks ?? 0) verity data blocks\n")
                console.write("  signed by  \(slot.signedBy.map { "certificate sha256 \($0)" } ?? "nobody (unsigned)")\n")
                for file in slot.files ?? [] {
                    let target = file.target.map { " -> \($0)" } ?? ""
                    console.write("  \(file.type)\(file.mode) \(file.uid)/\(file.gid) \(String(file.size).leftPad(10)) \(file.path)\(target)\n")
                }
            }
        }
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
