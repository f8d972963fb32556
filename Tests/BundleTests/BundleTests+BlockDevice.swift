import Foundation
import Testing
import TestSupport

@testable import Bundle

/// A bundle written to the start of a block device (a loop device here, /dev/vdb on a host):
/// the device is larger than the bundle, and what follows the end-of-archive marker is not
/// read. Needs root and losetup; skipped with the reason otherwise.
@Suite struct BundleBlockDeviceTests {
    static let losetup = Tools.find("losetup")
    /// Root, losetup and a free loop device (`losetup -f` finds one without attaching it).
    static let canAttach: Bool = {
        guard let losetup, getuid() == 0 else { return false }
        return (try? Tools.run(losetup, ["-f"]).status) == 0
    }()

    @Test(.enabled(if: canAttach, "needs root, losetup and a free loop device (losetup -f failed)"))
    func readsABundleFromALoopDevice() throws {
        let scratch = try ScratchDirectory()
        let payloads = try Fixtures.payloads(in: scratch, rootSize: 300_000)
        let path = scratch.path("update.bundle")
        try Fixtures.writeBundle(path, payloads, signer: try Fixtures.signer(try Fixtures.identity(.rsa2048)))
        // The bundle, then 1 MiB of zeros and 4 KiB of non-zero bytes (a file would be refused
        // with trailingData), in whole 512-byte sectors.
        var image = try Fixtures.bytes(path)
        image += [UInt8](repeating: 0, count: (1 << 20) + (512 - image.count % 512) % 512)
        image += [UInt8](repeating: 0xa5, count: 4096)
        try Fixtures.write(image, to: scratch.path("disk.img"))
        #expect(throws: BundleError.self) { try UpdateBundle.Reader(path: scratch.path("disk.img")) }

        let attach = try Tools.run(Self.losetup ?? "losetup", ["-f", "--show", "-r", scratch.path("disk.img")])
        let device = attach.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard attach.status == 0, device.hasPrefix("/dev/loop") else {
            // Nothing was attached, so there is nothing to detach.
            Issue.record("losetup -f --show failed: \(attach.stderr)")
            return
        }
        defer { _ = try? Tools.run(Self.losetup ?? "losetup", ["-d", device]) }

        let reader = try UpdateBundle.Reader(path: device)
        try reader.verifySignature(trusting: try Fixtures.certificate(try Fixtures.identity(.rsa2048)))
        for (role, bytes) in payloads.byRole {
            var received: [UInt8] = []
            try reader.streamPayload(role: role) { received.append(contentsOf: $0) }
            #expect(received == bytes, "role \(role)")
        }
        try reader.verifyPayloads()
        let input = try UpdateBundle.FileInput(path: device)
        #expect(input.mayContinuePastBundle && input.size == UInt64(image.count))
    }
}
