import Archive
import Foundation
import TestSupport
import Testing
import Zstd

@Suite struct ArchiveRoundTripTests {
    @Test func tarZstdRoundTripKeepsEveryField() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("rootfs.tar.zst")
        let writer = try ArchiveWriter(path: path, format: .paxRestricted, filter: .zstd(level: 9))
        try Fixture.write(Fixture.entries, to: writer)

        let reader = try ArchiveReader(path: path)
        let read = try Fixture.readAll(reader)
        #expect(reader.filterName == "zstd")
        #expect(reader.formatName?.contains("pax") == true)
        #expect(read.count == Fixture.entries.count)
        for ((expected, expectedData), (actual, actualData)) in zip(Fixture.entries, read) {
            #expect(actual == expected, "entry \(expected.path) changed in the round trip")
            #expect(actualData == expectedData, "data of \(expected.path) changed in the round trip")
        }
        // Spot checks that would catch a field silently falling back to a default.
        let byPath = Dictionary(uniqueKeysWithValues: read.map { ($0.0.path, $0.0) })
        #expect(byPath["etc/hostname"]?.mtime == Fixture.mtime)
        #expect(byPath["etc/hostname"]?.userName == "builder")
        #expect(byPath["usr/bin/ping"]?.xattrs == [.init(name: "security.capability", value: Fixture.pingCapability)])
        #expect(byPath["dev/console"]?.deviceMajor == 5)
        #expect(byPath["etc/hostname.bak"]?.type == .hardlink)
        #expect(byPath["etc/localtime"]?.symlinkTarget == "/usr/share/zoneinfo/UTC")
    }

    @Test func paxKeepsNanosecondsForEveryEntry() throws {
        let entries = Fixture.entries.map { entry, data in
            var entry = entry
            entry.mtime = Fixture.preciseMtime
            return (entry, data)
        }
        let writer = try ArchiveWriter(format: .pax)
        try Fixture.write(entries, to: writer)
        let read = try Fixture.readAll(try ArchiveReader(bytes: writer.bytes))
        #expect(read.map(\.0) == entries.map(\.0))
    }

    @Test func compressedLayerIsPlainZstd() throws {
        let writer = try ArchiveWriter(format: .paxRestricted, filter: .zstd(level: 3))
        try Fixture.write(Fixture.entries, to: writer)
        #expect(Zstandard.hasFrameMagic(writer.bytes))
        let tar = try Zstandard.decompress(writer.bytes)
        let reader = try ArchiveReader(bytes: tar, formats: [.tar])
        #expect(try Fixture.readAll(reader).map(\.0) == Fixture.entries.map(\.0))
        #expect(reader.filterName == "none")
    }

    @Test(arguments: [ArchiveWriter.Filter.none, .gzip, .xz, .zstd(level: 19)])
    func memoryAndFileOutputAreIdenticalAndRepeatable(filter: ArchiveWriter.Filter) throws {
        let scratch = try ScratchDirectory()
        let first = try ArchiveWriter(format: .paxRestricted, filter: filter)
        try Fixture.write(Fixture.entries, to: first)
        let second = try ArchiveWriter(format: .paxRestricted, filter: filter)
        try Fixture.write(Fixture.entries, to: second)
        let path = scratch.path("out")
        try Fixture.write(Fixture.entries, to: try ArchiveWriter(path: path, format: .paxRestricted, filter: filter))
        #expect(first.bytes == second.bytes)
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) == first.bytes)
        if filter == .gzip {
            #expect(first.bytes[4..<8] == [0, 0, 0, 0], "gzip header must not carry the write time")
        }
    }

    @Test func cpioNewcZstdIsByteIdenticalTwice() throws {
        // An initrd: devices and files, no hard links, no xattrs (newc cannot hold them).
        let entries = Fixture.entries.filter { $0.0.type != .hardlink }.map { entry, data in
            var entry = entry
            entry.xattrs = []
            entry.userName = nil
            entry.groupName = nil
            entry.mtime.nanoseconds = 0  // newc stores whole seconds
            return (entry, data)
        }
        func build() throws -> [UInt8] {
            let writer = try ArchiveWriter(format: .cpioNewc, filter: .zstd(level: 19))
            try Fixture.write(entries, to: writer)
            return writer.bytes
        }
        let first = try build()
        let second = try build()
        #expect(first == second)
        let cpio = try Zstandard.decompress(first)
        #expect(cpio.starts(with: Array("070701".utf8)))
        #expect(String(decoding: cpio, as: UTF8.self).contains("TRAILER!!!"))

        let read = try Fixture.readAll(try ArchiveReader(bytes: first))
        #expect(read.map(\.0) == entries.map(\.0))
        #expect(read.map(\.1) == entries.map(\.1))
    }

    @Test func rawFormatDecompressesALoneStream() throws {
        let payload = Array(String(repeating: "module payload ", count: 1000).utf8)
        let reader = try ArchiveReader(bytes: try Zstandard.compress(payload), formats: [.raw])
        let entry = try #require(try reader.nextEntry())
        #expect(entry.path == "data")
        #expect(try reader.readAllData() == payload)
        #expect(try reader.nextEntry() == nil)
    }

    @Test func nestedReaderStreamsAnInnerArchive() throws {
        // A .deb-shaped archive: an outer container holding a compressed inner tar.
        let inner = try ArchiveWriter(format: .paxRestricted, filter: .xz)
        try Fixture.write(Fixture.entries, to: inner)
        let outer = try ArchiveWriter(format: .ustar)
        let debianBinary = Array("2.0\n".utf8)
        try Fixture.write(
            [
                (.file("debian-binary", size: Int64(debianBinary.count)), debianBinary),
                (.file("data.tar.xz", size: Int64(inner.bytes.count)), inner.bytes),
                (.file("trailing", size: 1), [1]),
            ], to: outer)

        let reader = try ArchiveReader(bytes: outer.bytes)
        var names: [String] = []
        while let entry = try reader.nextEntry() {
            names.append(entry.path)
            guard entry.path == "data.tar.xz" else { continue }
            let data = try ArchiveReader(entryDataOf: reader)
            #expect(data.source == "data.tar.xz in memory (\(outer.bytes.count) bytes)")
            let read = try Fixture.readAll(data)
            #expect(read.map(\.0) == Fixture.entries.map(\.0))
            #expect(read.map(\.1) == Fixture.entries.map(\.1))
            #expect(data.filterName == "xz")
        }
        #expect(names == ["debian-binary", "data.tar.xz", "trailing"])
    }

    @Test func skippingDataLandsOnTheNextEntry() throws {
        let writer = try ArchiveWriter(format: .gnutar, filter: .gzip)
        let plain = Fixture.entries.filter { $0.0.xattrs.isEmpty }
        try Fixture.write(plain, to: writer)
        let reader = try ArchiveReader(bytes: writer.bytes)
        var paths: [String] = []
        while let entry = try reader.nextEntry() {
            paths.append(entry.path)
            if entry.path == "usr/share/big.bin" {
                var first = [UInt8](repeating: 0, count: 10)
                let count = try first.withUnsafeMutableBytes { try reader.readData(into: $0) }
                #expect(count == 10)
                #expect(first == Array(Fixture.bigFile.prefix(10)))
            }
            try reader.skipData()
        }
        #expect(paths == plain.map(\.0.path))
    }
}
