import Archive
import Foundation
import Testing
import Zstd

@Suite struct ArchiveErrorTests {
    /// Read everything; return the error thrown, if any.
    func readFully(_ bytes: [UInt8]) -> (any Error)? {
        do {
            let reader = try ArchiveReader(bytes: bytes)
            _ = try Fixture.readAll(reader)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [ArchiveWriter.Filter.none, .zstd(level: 3), .xz])
    func truncatedArchiveThrows(filter: ArchiveWriter.Filter) throws {
        let writer = try ArchiveWriter(format: .paxRestricted, filter: filter)
        try Fixture.write(Fixture.entries, to: writer)
        for fraction in [0.3, 0.6, 0.95] {
            let cut = Array(writer.bytes.prefix(Int(Double(writer.bytes.count) * fraction)))
            let error = try #require(readFully(cut) as? ArchiveError, "cut at \(fraction) should fail")
            guard case .library(_, let message, _) = error else {
                Issue.record("expected libarchive's own text, got \(error)")
                continue
            }
            #expect(!message.isEmpty)
            #expect(error.description.contains("memory ("))
        }
    }

    @Test func truncatedOuterArchiveSurfacesInTheNestedReader() throws {
        let inner = try ArchiveWriter(format: .paxRestricted, filter: .zstd(level: 1))
        try Fixture.write(Fixture.entries, to: inner)
        let outer = try ArchiveWriter(format: .ustar)
        try Fixture.write([(.file("data.tar.zst", size: Int64(inner.bytes.count)), inner.bytes)], to: outer)
        let cut = Array(outer.bytes.prefix(outer.bytes.count / 2))

        let reader = try ArchiveReader(bytes: cut)
        _ = try #require(try reader.nextEntry())
        // libarchive reads ahead when opening, so the failure may come at open or later.
        let error = #expect(throws: ArchiveError.self) {
            _ = try Fixture.readAll(try ArchiveReader(entryDataOf: reader))
        }
        // The root cause is the outer archive, and the error says so.
        #expect(error?.description.contains("in memory (\(cut.count) bytes)") == true, "\(String(describing: error))")
        #expect(throws: ArchiveError.self) { try ArchiveReader(entryDataOf: try ArchiveReader(bytes: outer.bytes)) }
    }

    @Test func garbageIsRejectedWithLibarchiveText() throws {
        let error = try #require(readFully(Array("this is not an archive".utf8)) as? ArchiveError)
        #expect(error.description.contains("Unrecognized archive format"), "\(error)")
        #expect(throws: ArchiveError.self) { try ArchiveReader(path: "/nonexistent/x.tar") }
    }

    @Test func writerRejectsShortAndLongData() throws {
        let writer = try ArchiveWriter(format: .paxRestricted)
        try writer.writeHeader(.file("a", size: 4))
        #expect(throws: ArchiveError.entryDataOverflow(path: "a", declared: 4, attempted: 5)) {
            try writer.writeData([1, 2, 3, 4, 5])
        }
        try writer.writeData([1, 2])
        #expect(throws: ArchiveError.entryDataIncomplete(path: "a", declared: 4, written: 2)) {
            try writer.writeHeader(.file("b", size: 0))
        }
        #expect(throws: ArchiveError.entryDataIncomplete(path: "a", declared: 4, written: 2)) {
            try writer.finish()
        }
    }

    @Test func formatLimitsAreExplained() throws {
        var capable = ArchiveEntry.file("ping", size: 0)
        capable.xattrs = [.init(name: "security.capability", value: Fixture.pingCapability)]
        let gnu = try ArchiveWriter(format: .gnutar)
        let error = #expect(throws: ArchiveError.self) { try gnu.writeHeader(capable) }
        #expect(error?.description.contains(".paxRestricted") == true)

        let cpio = try ArchiveWriter(format: .cpioNewc)
        #expect(throws: ArchiveError.self) { try cpio.writeHeader(.hardlink("b", target: "a")) }

        let ustar = try ArchiveWriter(format: .ustar)
        let long = String(repeating: "x", count: 300)
        let tooLong = #expect(throws: ArchiveError.self) { try ustar.writeHeader(.file(long, size: 0)) }
        #expect(tooLong?.description.contains("libarchive could not write the header") == true, "\(String(describing: tooLong))")

        #expect(throws: ArchiveError.self) { try ArchiveWriter(format: .ustar, filter: .zstd(level: 40)) }
    }

    @Test func dataWithoutAnEntryIsAnError() throws {
        let writer = try ArchiveWriter(format: .ustar)
        try writer.writeHeader(.directory("d/"))
        #expect(throws: ArchiveError.noCurrentEntry(operation: "write entry data")) { try writer.writeData([1]) }
        try writer.finish()
        #expect(throws: ArchiveError.writerFinished) { try writer.finish() }
        let reader = try ArchiveReader(bytes: writer.bytes)
        #expect(throws: ArchiveError.self) { try reader.readAllData() }
    }
}
