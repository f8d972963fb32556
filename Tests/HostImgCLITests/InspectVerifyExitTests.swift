import Foundation
import Glibc
import Testing

@testable import HostImgCLI

/// `inspect` and `verify` exit 1 when the input is corrupt (they ran and found it so) and 2
/// when they could not run (no such file, not a file, neither an image nor a bundle).
@Suite("inspect and verify exit codes", .serialized)
struct InspectVerifyExitTests {
    /// A file that starts like a disk image ("EFI PART" at byte 512) but whose table is damage.
    static func corruptImage(_ path: String) throws {
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
        bytes[510] = 0x55
        bytes[511] = 0xAA
        bytes.replaceSubrange(512..<520, with: Array("EFI PART".utf8))
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A file that starts like a bundle (a ustar header) whose header checksum is wrong.
    static func corruptBundle(_ path: String) throws {
        var bytes = [UInt8](repeating: 0, count: 4096)
        bytes.replaceSubrange(0..<13, with: Array("manifest.json".utf8))
        bytes.replaceSubrange(257..<263, with: Array("ustar\0".utf8))
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test(.timeLimit(.minutes(1)))
    func corruptInputIsOneAndNoVerdictIsTwo() async throws {
        try await withTemporaryDirectory { directory in
            let image = directory + "/corrupt.img"
            let bundle = directory + "/corrupt.bundle"
            try Self.corruptImage(image)
            try Self.corruptBundle(bundle)
            for path in [image, bundle] {
                let inspect = await hostimg(["inspect", path, "--files"])
                #expect(inspect.status == 1, "\(path): \(inspect.standardError)")
                #expect(inspect.standardError.hasPrefix("hostimg: error: "))
                #expect(await hostimg(["verify", path]).status == 1)
            }
            let fifo = directory + "/fifo"
            #expect(mkfifo(fifo, 0o600) == 0)
            let garbage = directory + "/garbage"
            try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: garbage))
            for path in [directory + "/missing.img", fifo, directory, garbage] {
                let inspect = await hostimg(["inspect", path])
                #expect(inspect.status == 2, "\(path): \(inspect.standardError)")
                #expect(await hostimg(["verify", path]).status == 2, "\(path)")
            }
            #expect(await hostimg(["inspect", fifo]).standardError.contains("FIFO"))
        }
    }
}
