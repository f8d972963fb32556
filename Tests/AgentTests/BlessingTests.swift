import Agent
import Foundation
import ByteCodec
import SystemIO
import Testing
import TestSupport

/// Blessing by root hash: the entry whose UKI boots the running root hash loses its counter;
/// the other slot's entry is never touched, whatever LoaderBootCountPath says.
@Suite struct BlessingTests {
    static let hashA = String(repeating: "a1", count: 32)
    static let hashB = String(repeating: "b2", count: 32)

    /// An entries directory whose files hold just a command line (the reader stands in for
    /// the PE reader).
    static func entries(_ files: [String: String]) throws -> (ScratchDirectory, Blessing) {
        let scratch = try ScratchDirectory()
        for (name, commandLine) in files {
            try commandLine.write(toFile: scratch.path(name), atomically: true, encoding: .utf8)
        }
        let blessing = Blessing(entriesDirectory: scratch.url.path) { path in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else {
                throw AgentError.commandLine("not a UKI: \(path)")
            }
            return text
        }
        return (scratch, blessing)
    }

    static func names(_ scratch: ScratchDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted()
    }

    @Test func theRunningSlotsEntryLosesItsCounter() throws {
        let (scratch, blessing) = try Self.entries([
            "host_1+0-3.efi": "roothash=\(Self.hashA) console=ttyS0",
            "host_2+2-1.efi": "roothash=\(Self.hashB) console=ttyS0",
        ])
        let hash = try #require(Hex.decode(Self.hashB))
        #expect(try blessing.bless(rootHash: hash) == .blessed(from: "host_2+2-1.efi", to: "host_2.efi"))
        #expect(try Self.names(scratch) == ["host_1+0-3.efi", "host_2.efi"])
        #expect(try blessing.bless(rootHash: hash) == .alreadyGood("host_2.efi"))
    }

    @Test func noEntryForTheRunningHashTouchesNothing() throws {
        let (scratch, blessing) = try Self.entries(["host_1+3.efi": "roothash=\(Self.hashA)", "junk.efi": ""])
        let hash = try #require(Hex.decode(Self.hashB))
        #expect(try blessing.bless(rootHash: hash) == .noEntry)
        #expect(try Self.names(scratch) == ["host_1+3.efi", "junk.efi"])
    }

    @Test func aMissingDirectoryIsAnErrorThatSaysWhere() throws {
        let blessing = Blessing(entriesDirectory: "/nonexistent/EFI/Linux") { _ in "" }
        #expect(throws: AgentError.self) { try blessing.bless(rootHash: Array(repeating: 0, count: 32)) }
    }
}
