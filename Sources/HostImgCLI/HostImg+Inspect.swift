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

                Exit status 0 when the content could be shown, 1 when the image or bundle \
                is corrupt or invalid (the message names the part), 2 when the file cannot \
                be read or is neither an image nor a bundle.
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
            } catch .invalid(let message) {
                console.error("hostimg: error: \(message)")
                throw ExitCode.findings
            } catch .unreadable(let message) {
                console.error("hostimg: error: \(message)")
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
            if let esp = inspection.esp {
                let loader = esp.bootLoaderSigned.map { $0 ? "systemd-boot (signed for Secure Boot)" : "systemd-boot" } ?? "no boot loader"
                console.write("ESP: \(esp.fileSystem), \(loader)\n")
                for entry in esp.entries {
                    let state = entry.state == "counting" ? "\(entry.triesLeft ?? 0) tries left" : entry.state
                    let signed = entry.secureBootSigned ? ", signed" : ""
                    console.write("  EFI/Linux/\(entry.file)  boots \(entry.slot.map { "slot \($0)" } ?? "no slot of this disk"), \(state), \(Size.describe(entry.bytes))\(signed)\n")
                }
            }
        }
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
