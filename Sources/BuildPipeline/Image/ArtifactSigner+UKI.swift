import FAT
import Foundation
import Glibc
import GPT
import PE
import SystemIO

/// Two-phase signing of what firmware boots (issue 13): a UKI an `--unsigned` build made has
/// an initrd without the signing certificate, so its init would not check the root-hash
/// signature. `hostimg sign` takes each UKI apart, adds the certificate to its initrd as a
/// signed build does, and assembles it again; when the image asks for Secure Boot (its
/// loader.conf says so) the kernel, the UKI and systemd-boot get Authenticode signatures.
/// The result has the bytes a one-step signed build writes.
extension ArtifactSigner {
    /// `uki` with the certificate in its initrd; with `secureBoot`, its kernel and itself
    /// signed by Authenticode.
    static func certifyUKI(_ uki: [UInt8], name: String, identity: SigningIdentity, secureBoot: Bool) throws -> [UInt8] {
        let (stub, sections) = try PE.UKI.disassemble(uki)
        var parts: [(name: String, data: [UInt8])] = []
        for section in sections {
            switch section.name {
            case PE.UKI.Section.initrd.rawValue:
                parts.append((section.name, try BootStage.certify(initrd: section.data, name: "\(name) (.initrd)",
                                                                  certificate: identity.certificate)))
            case PE.UKI.Section.linux.rawValue where secureBoot:
                parts.append((section.name, try secureBootSigned(section.data, identity: identity)))
            default:
                parts.append(section)
            }
        }
        let assembled = try PE.UKI.assemble(stub: stub, sections: parts)
        return secureBoot ? try secureBootSigned(assembled, identity: identity) : assembled
    }

    static func secureBootSigned(_ image: [UInt8], identity: SigningIdentity) throws -> [UInt8] {
        try PE.Authenticode.sign(image, key: identity.key, certificate: identity.certificate)
    }

    /// Whether a UKI already carries an Authenticode signature (a bundle re-signed with
    /// --force keeps Secure Boot).
    static func isAuthenticodeSigned(_ image: [UInt8]) -> Bool {
        (try? PE.Image(image).certificateTable) != nil
    }

    /// Rewrites the ESP of the image copy at `partition`: every UKI in EFI/Linux certified,
    /// systemd-boot signed when loader.conf asks for Secure Boot; the FAT written again with
    /// its volume id, label and times, over a zeroed region (so the bytes are those a signed
    /// build writes). Returns whether the image is signed for Secure Boot; nil when the ESP
    /// holds no UKI (an image without a kernel).
    static func restageESP(in copy: String, partition: GPT.Partition, identity: SigningIdentity, name: String) throws -> Bool? {
        let volume = try FAT.Volume(path: copy, offset: partition.offset, size: partition.size)
        guard !ESPLayout.ukiEntries(of: volume).isEmpty else { return nil }
        let secureBoot = ESPLayout.isSecureBootMarked(volume)
        var files: [FAT.File] = []
        var directories: [String] = []
        var timestamp: Int64?
        try walk(volume, "", files: &files, directories: &directories, timestamp: &timestamp)
        for index in files.indices {
            let path = files[index].path
            if path.hasPrefix(ESPLayout.entriesDirectory + "/"), path.lowercased().hasSuffix(".efi") {
                files[index].contents = try certifyUKI(files[index].contents, name: "\(name): \(path)", identity: identity,
                                                       secureBoot: secureBoot)
            } else if secureBoot, path == ESPLayout.fallbackLoader || path == ESPLayout.loader {
                files[index].contents = try secureBootSigned(files[index].contents, identity: identity)
            }
        }
        let options = FAT.Options(volumeID: volume.volumeID, volumeLabel: volume.bootSectorLabel.trimmingCharacters(in: .whitespaces),
                                  timestamp: timestamp ?? 0)
        try zero(copy, offset: partition.offset, size: partition.size)
        try FAT.write(files: files, directories: directories, to: copy, at: partition.offset, size: partition.size, options: options)
        return secureBoot
    }

    /// The most entries `hostimg sign` takes from an ESP (hostimg writes a handful): a
    /// damaged directory graph whose entries share directories without a loop would
    /// otherwise be walked once per path to it.
    static let maximumESPEntries = 4096

    /// Every file and directory of the volume under `directory`, and the files' time.
    private static func walk(_ volume: FAT.Volume, _ directory: String, files: inout [FAT.File], directories: inout [String],
                             timestamp: inout Int64?) throws {
        for entry in try volume.list(directory) where entry.name != "." && entry.name != ".." {
            guard files.count + directories.count < maximumESPEntries else {
                throw ImageError.input("the ESP holds more than \(maximumESPEntries) files and directories (or its directories are damaged); hostimg writes a handful: rebuild the image")
            }
            let path = directory.isEmpty ? entry.name : directory + "/" + entry.name
            if entry.isDirectory {
                directories.append(path)
                try walk(volume, path, files: &files, directories: &directories, timestamp: &timestamp)
            } else {
                files.append(FAT.File(path: path, contents: try volume.read(path)))
                timestamp = timestamp ?? entry.modified.unixTime
            }
        }
    }

    /// Zeros over `size` bytes at `offset`, a MiB at a time.
    private static func zero(_ path: String, offset: UInt64, size: UInt64) throws {
        let file = try SystemIO.File(path: path, flags: O_RDWR)
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        var done: UInt64 = 0
        while done < size {
            let count = Int(min(UInt64(chunk.count), size - done))
            try file.write(Array(chunk[0..<count]), at: offset + done)
            done += UInt64(count)
        }
    }
}

extension ArtifactSigner {
    /// Whether the image's ESP asks for Secure Boot (its loader.conf carries the marker).
    static func secureBootMarked(image path: String) throws -> Bool {
        let partitions: [GPT.NumberedPartition]
        do {
            partitions = try GPT.readPrimary(path: path)
        } catch {
            throw ImageError.input("\(path): \(error)")
        }
        guard let esp = partitions.first(where: { $0.partition.type == GPT.PartitionType.esp })?.partition,
              let volume = try? FAT.Volume(path: path, offset: esp.offset, size: esp.size) else { return false }
        return ESPLayout.isSecureBootMarked(volume)
    }

    /// The build directory's UKI (`NAME_VERSION.efi`) certified as the ESP's, and, for Secure
    /// Boot, its `vmlinuz` signed (the bytes of the UKI's `.linux`).
    static func stageBootFiles(_ directory: String, names: [String], identity: SigningIdentity, secureBoot: Bool,
                               outputs: StagedOutputs) throws -> [Outcome] {
        var outcomes: [Outcome] = []
        for name in names where name.hasSuffix(".efi") {
            let path = directory + "/" + name
            let uki = try SystemIO.readFile(path, limit: maximumUKISize)
            try outputs.write(path, bytes: try certifyUKI(uki, name: path, identity: identity, secureBoot: secureBoot))
            outcomes.append(Outcome(path: path, rootHash: "", action: secureBoot ? "certified and Secure Boot signed the UKI" : "added the certificate to the UKI's initrd"))
        }
        let kernel = directory + "/vmlinuz"
        if secureBoot, names.contains("vmlinuz") {
            try outputs.write(kernel, bytes: try secureBootSigned(try SystemIO.readFile(kernel, limit: maximumUKISize), identity: identity))
            outcomes.append(Outcome(path: kernel, rootHash: "", action: "signed the kernel for Secure Boot"))
        }
        return outcomes
    }
}
