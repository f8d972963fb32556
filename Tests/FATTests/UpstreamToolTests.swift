import Foundation
import Testing
import TestSupport

@testable import FAT

/// The written ESP as dosfstools and mtools see it.
@Suite struct UpstreamToolTests {
    @Test(.enabled(if: Upstream.fsckAvailable, "fsck.fat (dosfstools) is not installed"))
    func fsckFindsNothingToFix() throws {
        let volume = try WrittenVolume()
        let fsck = try Upstream.fsck(volume)
        #expect(fsck.clean, "\(fsck.output)")
        // fsck counts directories too: the root, EFI, BOOT, systemd, Linux, empty-dir, loader,
        // entries, many.
        #expect(fsck.output.contains("\(Fixtures.espFiles.count + 9) files, \(volume.summary.usedClusters)/"), "\(fsck.output)")
    }

    @Test(.enabled(if: Upstream.mtoolsAvailable, "mtools is not installed"))
    func minfoSaysFAT32AndTheBPBWeWrote() throws {
        let volume = try WrittenVolume()
        let result = try Upstream.mtools("minfo", ["-i", volume.mtoolsImage, "::"])
        #expect(result.status == 0, "\(result.stderr)")
        let text = result.stdoutText
        for line in [
            "disk type=\"FAT32   \"", "serial number: 1234ABCD", "disk label=\"ESP        \"", "reserved (boot) sectors: 32",
            "fats: 2", "media descriptor byte: 0xf8", "rootCluster=2", "infoSector location=1", "backup boot sector=6",
            "hidden sectors: 2048", "big size: 262144 sectors", "cluster size: 1 sectors",
            "free clusters=\(volume.summary.freeClusters)",
        ] {
            #expect(text.contains(line), "minfo lacks \(line): \(text)")
        }
    }

    @Test(.enabled(if: Upstream.mtoolsAvailable, "mtools is not installed"))
    func mdirListsLongAndShortNames() throws {
        let volume = try WrittenVolume()
        let result = try Upstream.mtools("mdir", ["-i", volume.mtoolsImage, "::/EFI/Linux"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        // An upper-case 8.3 name has no long name; the others show both.
        #expect(lines.contains { $0.hasPrefix("QEMU-DEV EFI") && !$0.contains("qemu") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("QEMU-D~1 EFI") && $0.hasSuffix(" qemu-dev_0.0.9.efi") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("QEMU-D~2 EFI") && $0.hasSuffix(" qemu-dev_0.1.0+3.efi") }, "\(lines)")
        #expect(lines.contains { $0.hasSuffix(" " + Fixtures.longName) }, "\(lines)")
        let root = try Upstream.mtools("mdir", ["-i", volume.mtoolsImage, "::/"])
        #expect(root.stdoutText.contains("Volume in drive : is ESP"), "\(root.stdoutText)")
        #expect(root.stdoutText.contains("Volume Serial Number is 1234-ABCD"), "\(root.stdoutText)")
        #expect(root.stdoutText.contains("2023-11-14  22:13"), "\(root.stdoutText)")
    }

    @Test(.enabled(if: Upstream.mtoolsAvailable, "mtools is not installed"))
    func mcopyGivesBackEveryFile() throws {
        let volume = try WrittenVolume()
        let out = volume.scratch.path("copied")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let result = try Upstream.mtools("mcopy", ["-s", "-n", "-i", volume.mtoolsImage, "::/EFI", "::/loader", "::/many",
                                                   "::/Mixed Case Name.txt", "::/unicode-é-名前.txt", "::/a.b.c.d",
                                                   "::/empty.txt", out])
        #expect(result.status == 0, "\(result.stderr)")
        for file in Fixtures.espFiles {
            let copied = FileManager.default.contents(atPath: out + "/" + file.path)
            #expect(copied.map { [UInt8]($0) } == file.contents, "\(file.path)")
        }
        for directory in Fixtures.espDirectories {
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: out + "/" + directory, isDirectory: &isDirectory) && isDirectory.boolValue)
        }
    }

    @Test(.enabled(if: Upstream.fsckAvailable && Upstream.mtoolsAvailable, "dosfstools or mtools is not installed"))
    func largerSizesStayFAT32WithTheirClusterSize() throws {
        for (size, clusterSectors) in [(UInt64(256) << 20, 1), (512 << 20, 8), (33 << 20, 1)] {
            let volume = try WrittenVolume(offset: 4096, size: size)
            #expect(volume.summary.geometry.kind == .fat32)
            #expect(volume.summary.geometry.sectorsPerCluster == UInt32(clusterSectors))
            let fsck = try Upstream.fsck(volume)
            #expect(fsck.clean, "\(size): \(fsck.output)")
            let minfo = try Upstream.mtools("minfo", ["-i", volume.mtoolsImage, "::"])
            #expect(minfo.stdoutText.contains("disk type=\"FAT32   \""), "\(minfo.stdoutText)")
        }
    }

    @Test(.enabled(if: Upstream.fsckAvailable && Upstream.mtoolsAvailable, "dosfstools or mtools is not installed"))
    func smallSizesAreFAT16AndFAT12() throws {
        let files = [FAT.File(path: "EFI/BOOT/BOOTX64.EFI", contents: Fixtures.pattern(300_000, seed: 11)),
                     FAT.File(path: "loader/loader.conf", contents: Array("timeout 0\n".utf8))]
        for (size, kind) in [(UInt64(16) << 20, FAT.Kind.fat16), (32 << 20, .fat16), (2 << 20, .fat12), (1 << 20, .fat12)] {
            let volume = try WrittenVolume(files: files, directories: [], offset: 1 << 20, size: size)
            #expect(volume.summary.geometry.kind == kind, "\(size)")
            let fsck = try Upstream.fsck(volume)
            #expect(fsck.clean, "\(size): \(fsck.output)")
            let minfo = try Upstream.mtools("minfo", ["-i", volume.mtoolsImage, "::"])
            #expect(minfo.stdoutText.contains("disk type=\"\(kind)   \""), "\(minfo.stdoutText)")
            let copied = volume.scratch.path("BOOTX64-\(size).EFI")
            let mcopy = try Upstream.mtools("mcopy", ["-n", "-i", volume.mtoolsImage, "::/EFI/BOOT/BOOTX64.EFI", copied])
            #expect(mcopy.status == 0, "\(mcopy.stderr)")
            #expect(FileManager.default.contents(atPath: copied).map { [UInt8]($0) } == files[0].contents)
        }
    }
}
