import Bundle
import ByteCodec
import Crypto
import Foundation
import BuildPipeline
import PE
import Testing
import TestSupport

/// Issue 13's build half, checked by the real tools: the UKI (`objdump -h`, `sbverify`), the
/// ESP (`fsck.fat -n`, `mdir`), Secure Boot signatures on systemd-boot, the UKI and its kernel
/// (a flipped byte fails), boot counting in the entry's name, the bundle's `uki` payload, and
/// two-phase signing giving the one-step bytes.
extension BootStageTests {
    /// A build whose "kernel" is systemd-boot (a real PE that Authenticode can sign), with
    /// Secure Boot and `tries` tries.
    func secureBootBuild(_ name: String, signed: Bool, tries: Int = 5) async throws -> (ImageBuild.Result, String) {
        try await build(name, signed: signed) { options in
            options.boot?.vmlinuz = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
            options.secureBoot = true
            options.bootTries = tries
        }
    }

    static func tool(_ name: String) -> String? { Tools.find(name) }

    @Test(.enabled(if: tool("objdump") != nil && tool("sbverify") != nil && tool("fsck.fat") != nil && tool("mdir") != nil,
                   "needs binutils, sbsigntool, dosfstools and mtools"))
    func theUKIAndTheESPPassTheRealTools() async throws {
        let (result, output) = try await secureBootBuild("firmware", signed: true)
        let boot = try #require(result.boot)
        let uki = try #require(boot.uki)
        #expect(boot.espEntry == "EFI/Linux/test_1.0+5.efi")
        #expect(boot.secureBootSigned == true)

        let sections = try Tools.run(try #require(Self.tool("objdump")), ["-h", uki]).stdoutText
            .split(whereSeparator: \.isNewline).compactMap { line -> String? in
                let words = line.split(separator: " ")
                return words.count > 2 && Int(words[0]) != nil ? String(words[1]) : nil
            }
        #expect(Array(sections.suffix(5)) == [".linux", ".osrel", ".cmdline", ".initrd", ".uname"], "\(sections)")
        #expect(sections.contains(".sbat"))
        let image = try PE.Image(try Self.read(uki))
        #expect(image.section(named: ".cmdline") == Array(boot.commandLine.utf8))
        #expect(image.section(named: ".initrd") == (try Self.read(boot.initrd)))
        #expect(image.section(named: ".linux") == (try Self.read(boot.vmlinuz)), "vmlinuz is the signed kernel inside the UKI")

        let cert = try fixture.writeIdentity().cert
        let kernel = fixture.scratch.path("linux.efi")
        try Data(try #require(image.section(named: ".linux"))).write(to: URL(fileURLWithPath: kernel))
        let disk = output + "/test.img"
        let loader = try Self.espFile(disk, "EFI/BOOT/BOOTX64.EFI", to: fixture.scratch.path("BOOTX64.EFI"))
        for file in [uki, kernel, loader] {
            let check = try Tools.run(try #require(Self.tool("sbverify")), ["--cert", cert, file])
            #expect(check.status == 0, "sbverify --cert \(file): \(check.stdoutText) \(check.stderr)")
        }
        var flipped = try Self.read(uki)
        flipped[flipped.count / 2] ^= 0x01
        try Data(flipped).write(to: URL(fileURLWithPath: fixture.scratch.path("flipped.efi")))
        #expect(try Tools.run(try #require(Self.tool("sbverify")), ["--cert", cert, fixture.scratch.path("flipped.efi")]).status != 0)

        try Self.checkESP(disk, entry: "test_1.0+5.efi", uki: try Self.read(uki), scratch: fixture.scratch)
        let reader = try UpdateBundle.Reader(path: output + "/test.bundle")
        var payload: [UInt8] = []
        try reader.streamPayload(role: .uki) { payload.append(contentsOf: $0) }
        #expect(payload == (try Self.read(uki)))
        let verified = try ArtifactVerifier.verify(path: disk, certificate: ImageFixture.identity.0.certificate)
        #expect(verified.passed, "\(verified.checks.filter { $0.status == .failed })")
        #expect(verified.checks.filter { $0.part.hasPrefix("esp") }.map(\.status) == [.ok, .ok, .ok, .ok])
    }

    @Test func signingLaterGivesTheSecureBootBuildsBytes() async throws {
        let (_, signed) = try await secureBootBuild("sb-one-step", signed: true)
        let (_, later) = try await secureBootBuild("sb-two-phase", signed: false)
        #expect(try Self.read(signed + "/test_1.0.efi") != Self.read(later + "/test_1.0.efi"))
        _ = try ArtifactSigner.signDirectory(later, identity: ImageFixture.identity.0, force: false)
        for name in ["test.img", "test.bundle", "test_1.0.efi", "vmlinuz", "initrd.img"] {
            #expect(FileManager.default.contentsEqual(atPath: signed + "/" + name, andPath: later + "/" + name), "\(name) differs")
        }
    }

    /// The ESP region of `disk`, by the partition table's first entry (1 MiB in, 64 MiB).
    static func espRegion(_ disk: String, scratch: ScratchDirectory) throws -> String {
        let region = scratch.path("esp-\(UUID().uuidString).img")
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: disk))
        try handle.seek(toOffset: 1 << 20)
        try Data(try #require(try handle.read(upToCount: 64 << 20))).write(to: URL(fileURLWithPath: region))
        return region
    }

    static func espFile(_ disk: String, _ path: String, to target: String) throws -> String {
        let result = try Tools.run("/usr/bin/env", ["MTOOLS_SKIP_CHECK=1", "mcopy", "-n", "-i", "\(disk)@@\(1 << 20)", "::/\(path)", target])
        #expect(result.status == 0, "mcopy \(path): \(result.stderr)")
        return target
    }

    static func checkESP(_ disk: String, entry: String, uki: [UInt8], scratch: ScratchDirectory) throws {
        let region = try espRegion(disk, scratch: scratch)
        let fsck = try Tools.run(try #require(tool("fsck.fat")), ["-n", region])
        #expect(fsck.status == 0, "fsck.fat -n: \(fsck.stdoutText) \(fsck.stderr)")
        let listing = try Tools.run("/usr/bin/env", ["MTOOLS_SKIP_CHECK=1", "mdir", "-/", "-b", "-i", region, "::/"]).stdoutText
        let files = Set(listing.split(whereSeparator: \.isNewline).map(String.init))
        for expected in ["::/EFI/BOOT/BOOTX64.EFI", "::/EFI/systemd/systemd-bootx64.efi", "::/loader/loader.conf", "::/EFI/Linux/\(entry)"] {
            #expect(files.contains(expected), "mdir has no \(expected): \(files.sorted())")
        }
        let copy = try espFile(disk, "EFI/Linux/\(entry)", to: scratch.path("entry-\(UUID().uuidString).efi"))
        #expect(try read(copy) == uki)
    }
}
