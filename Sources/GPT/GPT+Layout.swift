extension GPT {
    /// The planner: turns an ordered list of partition requests into a table.
    ///
    /// Partitions are placed in the order given, each starting at the next 1 MiB boundary
    /// (the first at 1 MiB, LBA 2048, as sgdisk and systemd-repart do) and taking its size
    /// rounded up to a whole MiB, so every partition begins and ends on a 1 MiB boundary and
    /// no two can overlap or be out of order. What is left after the last partition stays free.
    public struct Layout {
        /// The alignment of partition starts and sizes.
        public static let alignment: UInt64 = 1 << 20

        /// One partition to place.
        public struct Request: Sendable, Hashable {
            /// The GPT name (PARTLABEL), at most 36 UTF-16 code units.
            public var name: String
            public var type: GUID
            public var uuid: GUID
            /// Bytes wanted; rounded up to a multiple of 1 MiB.
            public var size: UInt64
            public var attributes: Attributes

            public init(name: String, type: GUID, uuid: GUID, size: UInt64, attributes: Attributes = []) {
                self.name = name
                self.type = type
                self.uuid = uuid
                self.size = size
                self.attributes = attributes
            }
        }

        /// Places `requests` on a disk of `diskSize` bytes in sectors of `sectorSize` bytes.
        /// Throws `GPTError.doesNotFit` naming the first partition that crosses the end of the
        /// usable area, with the disk size that would hold them all.
        public static func plan(
            diskSize: UInt64, diskGUID: GUID, requests: [Request], sectorSize: UInt64 = Table.defaultSectorSize
        ) throws -> Table {
            var table = Table(diskGUID: diskGUID, diskSize: diskSize, partitions: [], sectorSize: sectorSize)
            try table.checkGeometry()
            guard UInt64(requests.count) <= Table.entryCount else {
                throw GPTError.tooManyPartitions(count: requests.count)
            }
            let usableEnd = (table.lastUsableLBA + 1) * sectorSize
            var next = alignUp(table.firstUsableLBA * sectorSize)
            var overflow: (request: Request, size: UInt64, end: UInt64)?
            for request in requests {
                try Table.checkName(request.name)
                guard request.size > 0 else { throw GPTError.emptyPartition(partition: request.name) }
                guard request.type != .zero else { throw GPTError.emptyType(partition: request.name) }
                // Saturating arithmetic: absurd sizes must give an error, not a trap.
                let size = alignUp(request.size)
                let (end, overflowed) = next.addingReportingOverflow(size)
                guard !overflowed, end <= UInt64.max - alignment else {
                    throw GPTError.doesNotFit(
                        partition: request.name, size: request.size, endOffset: UInt64.max, usableEnd: usableEnd,
                        minimumDiskSize: UInt64.max)
                }
                if end > usableEnd, overflow == nil { overflow = (request, size, end) }
                table.partitions.append(
                    Partition(
                        type: request.type, uuid: request.uuid, name: request.name,
                        firstLBA: next / sectorSize, lastLBA: end / sectorSize - 1,
                        attributes: request.attributes))
                next = end
            }
            if let overflow {
                // The backup entries and header (33 sectors) follow the last partition.
                let minimum = alignUp(next + (table.entryArraySectors + 1) * sectorSize)
                throw GPTError.doesNotFit(
                    partition: overflow.request.name, size: overflow.size, endOffset: overflow.end,
                    usableEnd: usableEnd, minimumDiskSize: minimum)
            }
            try table.validate()
            return table
        }

        /// `value` rounded up to a multiple of 1 MiB; saturates below `UInt64.max`.
        static func alignUp(_ value: UInt64) -> UInt64 {
            let (sum, overflowed) = value.addingReportingOverflow(alignment - 1)
            guard !overflowed else { return UInt64.max & ~(alignment - 1) }
            return sum & ~(alignment - 1)
        }
    }
}
