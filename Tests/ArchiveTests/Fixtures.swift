import Archive

/// The entries every round-trip test writes: one of each kind the image build produces.
enum Fixture {
    /// Whole seconds: `.paxRestricted` (like ustar, gnutar and cpio) keeps no fractions
    /// unless an entry needs a pax header for another reason; `preciseMtime` tests `.pax`.
    static let mtime = ArchiveEntry.Timestamp(seconds: 1_700_000_000)
    static let preciseMtime = ArchiveEntry.Timestamp(seconds: 1_700_000_000, nanoseconds: 123_456_789)

    /// `security.capability` as the kernel stores cap_net_raw+ep (VFS_CAP_REVISION_2,
    /// effective flag, permitted bit 13): the xattr `setcap` gives /usr/bin/ping.
    static let pingCapability: [UInt8] = [
        0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]

    static let hostname = Array("hostimg\n".utf8)
    /// Larger than the reader's chunk size, with a pattern that shows misplaced chunks.
    static let bigFile: [UInt8] = (0..<(3 * 1024 * 1024 + 5)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) }

    static var entries: [(ArchiveEntry, [UInt8])] {
        var etc = ArchiveEntry.directory("etc/", mtime: mtime)
        etc.mode = 0o755
        var hostnameEntry = ArchiveEntry.file("etc/hostname", size: Int64(hostname.count), mtime: mtime)
        hostnameEntry.uid = 1000
        hostnameEntry.gid = 100
        hostnameEntry.userName = "builder"
        hostnameEntry.groupName = "users"
        // Has a pax header for its xattr anyway, so even .paxRestricted keeps the nanoseconds.
        var ping = ArchiveEntry.file("usr/bin/ping", size: 4, mode: 0o755, mtime: preciseMtime)
        ping.xattrs = [.init(name: "security.capability", value: pingCapability)]
        let console = ArchiveEntry.characterDevice("dev/console", major: 5, minor: 1, mode: 0o600, mtime: mtime)
        return [
            (etc, []),
            (hostnameEntry, hostname),
            (.symlink("etc/localtime", target: "/usr/share/zoneinfo/UTC", mtime: mtime), []),
            (.hardlink("etc/hostname.bak", target: "etc/hostname", mtime: mtime), []),
            (ping, [0x7f, 0x45, 0x4c, 0x46]),
            (console, []),
            (.file("usr/share/big.bin", size: Int64(bigFile.count), mtime: mtime), bigFile),
        ]
    }

    /// Write `entries`, feeding data in uneven chunks as a streaming producer would.
    static func write(_ entries: [(ArchiveEntry, [UInt8])], to writer: ArchiveWriter) throws {
        for (entry, data) in entries {
            try writer.writeHeader(entry)
            var offset = 0
            var step = 1
            while offset < data.count {
                let end = min(data.count, offset + step)
                try writer.writeData(Array(data[offset..<end]))
                offset = end
                step = step * 3 + 1
            }
        }
        try writer.finish()
    }

    /// Read every entry with its data (in chunks).
    static func readAll(_ reader: ArchiveReader) throws -> [(ArchiveEntry, [UInt8])] {
        var result: [(ArchiveEntry, [UInt8])] = []
        while let entry = try reader.nextEntry() {
            var data: [UInt8] = []
            try reader.readData(chunkSize: 4093) { data.append(contentsOf: $0) }
            result.append((entry, data))
        }
        return result
    }
}
