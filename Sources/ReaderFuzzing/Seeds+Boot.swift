import ByteCodec
import Crypto
import FAT
import Foundation
import PE

extension Seeds {
    static let stubPath = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
    static let systemdBootPath = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"

    /// The PE seeds: a small UKI of the host's systemd-stub (of `SyntheticStub` where it is not
    /// installed), the same parts on `SyntheticStub` (a few KB, the fastest to mutate), both
    /// booting `rootHash` and signed with `identity`; and systemd-boot as Debian ships it
    /// (unsigned), when installed.
    static func peSeeds(rootHash: [UInt8], identity: DevelopmentIdentity) throws -> [(String, String, [UInt8])] {
        let stub = FileManager.default.contents(atPath: stubPath).map { [UInt8]($0) } ?? SyntheticStub.bytes()
        var seeds = [
            ("pe", "uki-signed.efi", try signedUKI(stub: stub, rootHash: rootHash, identity: identity)),
            ("pe", "synthetic-uki-signed.efi", try signedUKI(stub: SyntheticStub.bytes(), rootHash: rootHash, identity: identity)),
        ]
        if let loader = FileManager.default.contents(atPath: systemdBootPath) {
            seeds.append(("pe", "systemd-bootx64.efi", [UInt8](loader)))
        }
        return seeds
    }

    /// `stub` with a UKI's parts (a small fake kernel and initrd, a command line that boots
    /// `rootHash`), Authenticode-signed with `identity`.
    static func signedUKI(stub: [UInt8], rootHash: [UInt8], identity: DevelopmentIdentity) throws -> [UInt8] {
        let parts: [(name: String, data: [UInt8])] = [
            (".linux", [0x4D, 0x5A] + noise(2046, seed: 11)),
            (".osrel", Array("ID=debian\nVERSION_ID=12\nIMAGE_ID=fuzz\nIMAGE_VERSION=1\n".utf8)),
            (".cmdline", Array("console=ttyS0 roothash=\(Hex.encode(rootHash)) hostimg.slot=a".utf8)),
            (".initrd", noise(1024, seed: 12)),
            (".uname", Array("6.1.0-fuzz-amd64".utf8)),
        ]
        let uki = try PE.UKI.assemble(stub: stub, sections: parts)
        return try PE.Authenticode.sign(
            uki, key: try PrivateKey(pem: identity.privateKeyPEM), certificate: try Certificate(pem: identity.certificatePEM))
    }

    /// The FAT seeds: an ESP's tree written by `FAT.write` as FAT12 (128 KiB), FAT16 (4.5 MiB)
    /// and FAT32 (34 MiB, the smallest FAT32 it writes, then cut to its used clusters and 64
    /// free ones: `compactFAT32`), each a `FATInput`. EFI/Linux fills most of its first
    /// cluster, so renaming its first entry to a long name grows it (on the FAT12 and FAT32
    /// volumes, whose clusters are 512 bytes).
    static func fatSeeds(scratch: String) throws -> [(String, String, [UInt8])] {
        let linux = ["hostimg_2+3.efi", "hostimg_1.efi", "hostimg_0+0-3.efi"]
        var files = [
            FAT.File(path: "EFI/BOOT/BOOTX64.EFI", contents: [0x4D, 0x5A] + noise(2998, seed: 21)),
            FAT.File(path: "EFI/systemd/systemd-bootx64.efi", contents: [0x4D, 0x5A] + noise(2998, seed: 21)),
            FAT.File(path: "loader/loader.conf", contents: Array("timeout 0\neditor no\nauto-entries no\n".utf8)),
            FAT.File(path: "EFI/Linux/ENTRIES.TXT", contents: Array(linux.joined(separator: "\n").utf8)),
        ]
        for (index, name) in linux.enumerated() {
            files.append(FAT.File(path: "EFI/Linux/" + name, contents: [0x4D, 0x5A] + noise(1500 * (index + 1), seed: UInt64(30 + index))))
        }
        var seeds: [(String, String, [UInt8])] = []
        for (kind, size) in [(FAT.Kind.fat12, 128 << 10), (.fat16, 4608 << 10), (.fat32, 34 << 20)] {
            var (volume, summary) = try fatVolume(files: files, directories: ["EFI/Linux/empty"], size: size, kind: kind, scratch: scratch)
            if kind == .fat32 { volume = try compactFAT32(volume, used: summary.usedClusters, free: 64) }
            seeds.append(("fat", "esp-\(kind.rawValue.lowercased()).img", FATInput(volume: volume).encoded()))
        }
        return seeds
    }

    /// A FAT32 volume as `FAT.write` lays it out (512-byte clusters, the used ones first) cut to
    /// `used + free` clusters: each FAT shortened to what they need, the data area moved up
    /// behind them, the total sector count, FAT size and FSInfo free count in both boot
    /// records changed to match. A FAT32 volume of few clusters (as `mkfs.fat -F 32` makes on
    /// small media, and Linux mounts) reads as FAT32 since BPB_FATSz16 is 0, and is a seed of
    /// some 40 KB instead of the half MB of FAT a 34 MiB volume carries.
    static func compactFAT32(_ volume: [UInt8], used: UInt32, free: UInt32) throws -> [UInt8] {
        let fields = ByteReader(volume, endianness: .little)
        let sector = Int(try fields.u16(at: 11))
        let reserved = Int(try fields.u16(at: 14))
        let fats = Int(try fields.u8(at: 16))
        let fatSectors = Int(try fields.u32(at: 36))
        let clusters = Int(used + free)
        let newFATSectors = ((clusters + 2) * 4 + sector - 1) / sector
        var out = Array(volume[0..<(reserved * sector)])
        for fat in 0..<fats {
            let start = (reserved + fat * fatSectors) * sector
            out += volume[start..<(start + newFATSectors * sector)]
        }
        let data = (reserved + fats * fatSectors) * sector
        out += volume[data..<(data + clusters * sector)]
        let boots = [0, Int(try fields.u16(at: 50))].map { $0 * sector }
        for boot in boots {
            out.setInteger(UInt32(reserved + fats * newFATSectors + clusters), at: boot + 32, endianness: .little)
            out.setInteger(UInt32(newFATSectors), at: boot + 36, endianness: .little)
            out.setInteger(free, at: boot + sector + 488, endianness: .little)  // FSInfo follows each boot sector
        }
        return out
    }

    /// The ESP of the seed disk (FAT12, 64 KiB): a synthetic systemd-boot and a signed UKI,
    /// counting its tries, that boots `rootHash`, so `verify` of the disk checks the ESP.
    static func esp(rootHash: [UInt8], identity: DevelopmentIdentity, scratch: String) throws -> [UInt8] {
        let files = [
            FAT.File(path: "EFI/BOOT/BOOTX64.EFI", contents: SyntheticStub.bytes()),
            FAT.File(path: "loader/loader.conf", contents: Array("timeout 0\n".utf8)),
            FAT.File(path: "EFI/Linux/fuzz_1+3.efi", contents: try signedUKI(stub: SyntheticStub.bytes(), rootHash: rootHash, identity: identity)),
        ]
        return try fatVolume(files: files, directories: [], size: 64 << 10, kind: .fat12, scratch: scratch).bytes
    }

    /// The bytes of a volume of `size` that `FAT.write` made of `files`, which must be `kind`.
    static func fatVolume(
        files: [FAT.File], directories: [String], size: Int, kind: FAT.Kind, scratch: String
    ) throws -> (bytes: [UInt8], summary: FAT.WriteSummary) {
        let path = scratch + "/volume-\(kind)-\(size).img"
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(size))
        try handle.close()
        let options = FAT.Options(volumeID: 0x4655_5A5A, volumeLabel: "ESP", timestamp: 1_700_000_000)
        let summary = try FAT.write(files: files, directories: directories, to: path, at: 0, size: UInt64(size), options: options)
        guard summary.geometry.kind == kind else { throw CocoaError(.fileWriteUnknown) }
        return ([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), summary)
    }

    /// `count` bytes of a fixed pseudo-random sequence (a 64-bit LCG), different for each seed.
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &* seed
        return (0..<count).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }
}

/// A PE32+ EFI application of two sections (.text, .data): the stand-in for systemd-stub
/// where it is not installed, and the smallest PE seed. Its headers run to 0x400, leaving
/// the section table room for a UKI's parts.
enum SyntheticStub {
    static let peHeader = 0x40
    static let optionalHeader = peHeader + 24
    static let sectionTable = optionalHeader + 240
    static let headerSize = 0x400

    static func bytes() -> [UInt8] {
        var image = [UInt8](repeating: 0, count: headerSize)
        // (offset, value, width): the fields a loader and this package's reader look at.
        var fields: [(Int, UInt32, Int)] = [
            (0, 0x5A4D, 2), (0x3C, UInt32(peHeader), 4),                  // "MZ", e_lfanew
            (peHeader, 0x4550, 4), (peHeader + 4, 0x8664, 2),             // "PE\0\0", Machine
            (peHeader + 6, 2, 2), (peHeader + 20, 240, 2),                // NumberOfSections, SizeOfOptionalHeader
            (peHeader + 22, 0x0022, 2),                                   // executable, large address aware
            (optionalHeader, 0x20B, 2), (optionalHeader + 4, 0x200, 4),   // PE32+, SizeOfCode
            (optionalHeader + 8, 0x200, 4), (optionalHeader + 16, 0x1000, 4),  // SizeOfInitializedData, entry
            (optionalHeader + 32, 0x1000, 4), (optionalHeader + 36, 0x200, 4), // SectionAlignment, FileAlignment
            (optionalHeader + 56, 0x3000, 4), (optionalHeader + 60, UInt32(headerSize), 4), // SizeOfImage, SizeOfHeaders
            (optionalHeader + 68, 10, 2), (optionalHeader + 108, 16, 4),  // EFI application, 16 data directories
        ]
        for (index, (name, characteristics)) in [(".text", UInt32(0x6000_0020)), (".data", 0xC000_0040)].enumerated() {
            let entry = sectionTable + index * 40
            image.replaceSubrange(entry..<(entry + name.utf8.count), with: Array(name.utf8))
            let address = UInt32(0x1000 * (index + 1))
            let offset = UInt32(headerSize + 0x200 * index)
            fields += [(entry + 8, 0x200, 4), (entry + 12, address, 4), (entry + 16, 0x200, 4), (entry + 20, offset, 4),
                       (entry + 36, characteristics, 4)]
        }
        for (offset, value, width) in fields {
            if width == 2 {
                image.setInteger(UInt16(truncatingIfNeeded: value), at: offset, endianness: .little)
            } else {
                image.setInteger(value, at: offset, endianness: .little)
            }
        }
        return image + Seeds.noise(0x400, seed: 1)
    }
}
