import Foundation
import Testing
import TestSupport

@testable import FAT

/// What the add and remove tests share: the volumes they start from and the upstream checks
/// they make after each change.
enum Edit {
    static let timestamp: Int64 = 1_700_000_000
    static let ukiName = "qemu-dev_0.2.0+3.efi"
    static let tools = Upstream.fsckAvailable && Upstream.mtoolsAvailable
    static let skipReason: Comment = "dosfstools or mtools is not installed"

    /// A FAT32 volume (≥ 33 MiB) and a FAT16 one, each holding the ESP fixture.
    static let kinds: [FAT.Kind] = [.fat32, .fat16]

    static func size(of kind: FAT.Kind) -> UInt64 {
        switch kind {
        case .fat32: 40 << 20
        case .fat16: 16 << 20
        case .fat12: 2 << 20
        }
    }

    /// The ESP fixture on a volume of `kind`.
    static func esp(_ kind: FAT.Kind) throws -> WrittenVolume {
        let written = try WrittenVolume(size: size(of: kind))
        #expect(written.summary.geometry.kind == kind)
        return written
    }

    /// The small tree of the hostile tests, on a volume of `kind`.
    static func small(_ kind: FAT.Kind) throws -> WrittenVolume {
        let written = try WrittenVolume(files: HostileReaderTests.small, directories: [], size: size(of: kind))
        #expect(written.summary.geometry.kind == kind)
        return written
    }

    /// The whole image file, to show that a refused change wrote nothing.
    static func image(_ written: WrittenVolume) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: written.path))
    }

    /// The file at `path` of the volume as `mcopy` reads it.
    static func mcopy(_ written: WrittenVolume, _ path: String) throws -> [UInt8]? {
        let out = written.scratch.path("mcopy-\(UUID().uuidString)")
        let result = try Upstream.mtools("mcopy", ["-n", "-i", written.mtoolsImage, "::/" + path, out])
        #expect(result.status == 0, "\(result.stderr)")
        return FileManager.default.contents(atPath: out).map { [UInt8]($0) }
    }

    /// The line `mdir` shows for `name` in `directory`, if any.
    static func mdirLine(_ written: WrittenVolume, _ directory: String, _ name: String) throws -> String? {
        try RenameTests.mdirNames(written, directory).first { $0.hasSuffix(" " + name) }
    }

    /// The clusters of the directory at `path`.
    static func directoryClusters(_ written: WrittenVolume, _ path: String) throws -> Int {
        try written.open().directory(at: path).clusters.count
    }

    /// `minfo`'s "free clusters=N" (FAT32's FSInfo count as mtools reads it).
    static func minfoFree(_ written: WrittenVolume) throws -> UInt32? {
        let result = try Upstream.mtools("minfo", ["-i", written.mtoolsImage, "::"])
        let line = result.stdoutText.split(separator: "\n").first { $0.hasPrefix("free clusters=") }
        return line.flatMap { UInt32($0.dropFirst("free clusters=".count)) }
    }

    /// Checks that the volume agrees with itself: FSInfo's count (FAT32) is the FAT's free
    /// clusters, as mtools reads it too.
    static func expectFreeCountsAgree(_ written: WrittenVolume) throws {
        let volume = try written.open()
        guard volume.kind == .fat32 else { return }
        #expect(try volume.fsInfo()?.freeCount == volume.freeClusters)
        if Upstream.mtoolsAvailable { #expect(try minfoFree(written) == volume.freeClusters) }
    }
}
