import Testing

@testable import GPT

@Suite struct LayoutTests {
    let mib = Fixtures.mib

    @Test func placesHostimgPartitionsOnMiBBoundaries() throws {
        let table = try Fixtures.hostimgTable()
        #expect(table.diskSize == 2 << 30)
        #expect(table.firstUsableLBA == 34)
        #expect(table.lastUsableLBA == (2 << 30) / 512 - 34)
        let expected: [(String, UInt64, UInt64)] = [  // name, offset MiB, size MiB
            ("esp", 1, 128), ("qemu-dev_0.1.0", 129, 560), ("qemu-dev_0.1.0", 689, 8), ("qemu-dev_0.1.0", 697, 1),
            ("_empty", 698, 560), ("_empty", 1258, 8), ("_empty", 1266, 1), ("state", 1267, 256),
        ]
        #expect(table.partitions.count == expected.count)
        for (partition, (name, offset, size)) in zip(table.partitions, expected) {
            #expect(partition.name == name)
            #expect(partition.offset == offset * mib)
            #expect(partition.size == size * mib)
            #expect(partition.firstLBA == offset * 2048)
            #expect(partition.lastLBA == (offset + size) * 2048 - 1)
        }
        #expect(table.partitions.map(\.type) == Fixtures.hostimgRequests.map(\.type))
        #expect(table.partitions.map(\.uuid) == Fixtures.hostimgRequests.map(\.uuid))
        #expect(table.partitions[2].attributes == .readOnly)
        #expect(table.partitions[7].attributes == .growFileSystem)
    }

    @Test func exactSizesStayExact() throws {
        let table = try GPT.Layout.plan(
            diskSize: 8 * mib, diskGUID: Fixtures.diskGUID,
            requests: [
                .init(name: "x", type: GPT.PartitionType.linuxData, uuid: .zero, size: 2 * mib),
                .init(name: "y", type: GPT.PartitionType.linuxData, uuid: .zero, size: 2 * mib + 1),
            ])
        #expect(table.partitions.map(\.size) == [2 * mib, 3 * mib])
        #expect(table.partitions.map(\.offset) == [mib, 3 * mib])
    }

    @Test func lastPartitionMayEndRightBeforeTheBackupTable() throws {
        // 4 MiB disk: usable bytes end 33 sectors before the end, so 1 MiB + 2 MiB fits,
        // 1 MiB + 3 MiB does not.
        let request = { (size: UInt64) in
            [GPT.Layout.Request(name: "x", type: GPT.PartitionType.linuxData, uuid: .zero, size: size)]
        }
        #expect(throws: Never.self) { try GPT.Layout.plan(diskSize: 4 * mib, diskGUID: .zero, requests: request(2 * mib)) }
        #expect(throws: GPTError.self) { try GPT.Layout.plan(diskSize: 4 * mib, diskGUID: .zero, requests: request(3 * mib)) }
    }

    @Test func doesNotFitNamesThePartitionAndTheNumbers() throws {
        var requests = Fixtures.hostimgRequests
        requests[4].size = 640 * mib  // root-b grows; state no longer fits
        requests[4].name = "root-b"
        let error = try #require(throws: GPTError.self) {
            try GPT.Layout.plan(diskSize: 1600 * mib, diskGUID: Fixtures.diskGUID, requests: requests)
        }
        // 1 + 128 + 560 + 8 + 1 = 698 MiB, root-b to 1338, verity-b 1346, sig-b 1347, state 1603 MiB.
        guard case .doesNotFit(let name, let size, let end, _, let minimum) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(name == "state")
        #expect(size == 256 * mib)
        #expect(end == 1603 * mib)
        #expect(minimum == 1604 * mib)
        let message = error.description
        #expect(message.contains("partition 'state' (256 MiB) ends at 1.6 GiB"))
        #expect(message.contains("the disk's last usable byte is at 1.6 GiB (byte \(1600 * mib - 33 * 512 - 1))"))
        #expect(message.hasSuffix("make disk.size at least 1604 MiB"))

        // The first partition past the end is named, not the last one.
        requests[4].size = 2000 * mib
        let second = try #require(throws: GPTError.self) {
            try GPT.Layout.plan(diskSize: 2 << 30, diskGUID: Fixtures.diskGUID, requests: requests)
        }
        #expect(second.description.contains("partition 'root-b' (2000 MiB)"))
        #expect(second.description.contains("make disk.size at least 2964 MiB"))
    }

    @Test func rejectsNamesLongerThan36UTF16Units() throws {
        let ok = String(repeating: "n", count: 36)
        let table = try GPT.Layout.plan(
            diskSize: 4 * mib, diskGUID: .zero,
            requests: [.init(name: ok, type: GPT.PartitionType.linuxData, uuid: .zero, size: mib)])
        #expect(table.partitions[0].name == ok)
        // 18 characters outside the BMP are 36 UTF-16 units; one more is too many.
        let astral = String(repeating: "🙂", count: 18)
        for (name, units) in [(ok + "n", 37), (astral + "a", 37), (String(repeating: "é", count: 40), 40)] {
            #expect(throws: GPTError.nameTooLong(name: name, utf16Units: units)) {
                try GPT.Layout.plan(
                    diskSize: 4 * mib, diskGUID: .zero,
                    requests: [.init(name: name, type: GPT.PartitionType.linuxData, uuid: .zero, size: mib)])
            }
        }
    }

    @Test func rejectsImpossibleRequests() {
        let type = GPT.PartitionType.linuxData
        #expect(throws: GPTError.emptyPartition(partition: "z")) {
            try GPT.Layout.plan(diskSize: 4 * mib, diskGUID: .zero, requests: [.init(name: "z", type: type, uuid: .zero, size: 0)])
        }
        #expect(throws: GPTError.emptyType(partition: "t")) {
            try GPT.Layout.plan(diskSize: 4 * mib, diskGUID: .zero, requests: [.init(name: "t", type: .zero, uuid: .zero, size: 1)])
        }
        #expect(throws: GPTError.invalidDiskSize(4 * mib + 1)) {
            try GPT.Layout.plan(diskSize: 4 * mib + 1, diskGUID: .zero, requests: [])
        }
        #expect(throws: GPTError.invalidDiskSize(512 * 66)) {
            try GPT.Layout.plan(diskSize: 512 * 66, diskGUID: .zero, requests: [])
        }
        #expect(throws: GPTError.nameContainsNUL(name: "a\u{0}b")) {
            try GPT.Layout.plan(diskSize: 4 * mib, diskGUID: .zero, requests: [.init(name: "a\u{0}b", type: type, uuid: .zero, size: 1)])
        }
        #expect(GPTError.nameContainsNUL(name: "a\u{0}b").description.hasPrefix("partition name 'a\\0b' contains a NUL"))
        let many = (0..<129).map { GPT.Layout.Request(name: "p\($0)", type: type, uuid: .zero, size: 1) }
        #expect(throws: GPTError.tooManyPartitions(count: 129)) {
            try GPT.Layout.plan(diskSize: 1 << 30, diskGUID: .zero, requests: many)
        }
        // Absurd sizes give an error, not an arithmetic trap.
        #expect(throws: GPTError.self) {
            try GPT.Layout.plan(
                diskSize: 4 * mib, diskGUID: .zero,
                requests: [.init(name: "a", type: type, uuid: .zero, size: .max), .init(name: "b", type: type, uuid: .zero, size: .max)])
        }
    }

    @Test func validateCatchesHandBuiltTables() {
        let type = GPT.PartitionType.linuxData
        func table(_ extents: [(UInt64, UInt64)]) -> GPT.Table {
            GPT.Table(
                diskGUID: .zero, diskSize: 8 * mib,
                partitions: extents.enumerated().map {
                    GPT.Partition(type: type, uuid: .zero, name: "p\($0.offset)", firstLBA: $0.element.0, lastLBA: $0.element.1)
                })
        }
        #expect(throws: Never.self) { try table([(2048, 4095), (4096, 6143)]).validate() }
        #expect(throws: GPTError.overlap(first: "p1", second: "p0", sharedLBA: 4095)) {
            try table([(4095, 6143), (2048, 4095)]).validate()
        }
        #expect(throws: GPTError.self) { try table([(33, 100)]).validate() }
        #expect(throws: GPTError.self) { try table([(2048, 16384 - 33)]).validate() }
        #expect(throws: GPTError.self) { try table([(3000, 2999)]).validate() }
    }

    @Test func describesSizes() {
        #expect(GPT.describe(bytes: 640 * mib) == "640 MiB")
        #expect(GPT.describe(bytes: 2 << 30) == "2 GiB")
        #expect(GPT.describe(bytes: 2254438400) == "2.1 GiB")
        #expect(GPT.describe(bytes: 16 * 1024) == "16 KiB")
        #expect(GPT.describe(bytes: 511) == "511 bytes")
        #expect(GPT.describe(bytes: (1 << 30) - 1) == "1024.0 MiB")
        #expect(GPT.describe(bytes: .max) == "16777216.0 TiB")
        #expect(GPT.describeExactly(bytes: 2000 * mib) == "2000 MiB")
        #expect(GPT.describeExactly(bytes: 2 << 30) == "2 GiB")
        #expect(GPT.describeExactly(bytes: 2254438401) == "2.1 GiB")
    }
}
