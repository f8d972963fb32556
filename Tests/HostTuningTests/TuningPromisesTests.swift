import HostTuning
import Testing

/// The promises file (`/usr/lib/hostimg/tuning.conf`): what the build writes reads back the
/// same, and every line an agent cannot check is an error naming its line.
@Suite struct TuningPromisesTests {
    /// Every kind of promise, with a node pool and a mount of the root group.
    static var everything: TuningPromises {
        var promises = TuningPromises()
        promises.commandLine = ["default_hugepagesz=2M", "hugepagesz=2M", "hugepages=64", "intel_iommu=on"]
        promises.pools = [TuningPromises.Pool(sizeKB: 2048, count: 64), TuningPromises.Pool(sizeKB: 2048, count: 32, node: 1),
                          TuningPromises.Pool(sizeKB: 1_048_576, count: 4, node: 0)]
        promises.mounts = [TuningPromises.Mount(path: "/dev/hugepages", pageSizeKB: 2048, group: "dpdk", mode: 0o770),
                           TuningPromises.Mount(path: "/dev/hugepages1G", pageSizeKB: 1_048_576, group: nil, mode: 0o755)]
        promises.vfioDevices = ["0000:00:03.0", "0000:3b:00.1"]
        promises.keptDevices = ["0000:00:02.0"]
        promises.deviceGroup = "dpdk"
        promises.affinity = "0,16,32,48"
        promises.preserved = TuningPromises.Preserved(size: 1 << 30, offset: 4 << 30, path: "/run/hostimg/preserved")
        return promises
    }

    @Test func encodedTextIsTheDocumentedSyntax() {
        let text = Self.everything.encoded(header: ["rendered by a test", "second line"])
        #expect(text == """
            # rendered by a test
            # second line
            cmdline default_hugepagesz=2M
            cmdline hugepagesz=2M
            cmdline hugepages=64
            cmdline intel_iommu=on
            pool 2048 64
            pool 2048 32 node=1
            pool 1048576 4 node=0
            mount /dev/hugepages 2048 dpdk 0770
            mount /dev/hugepages1G 1048576 - 0755
            vfio 0000:00:03.0
            vfio 0000:3b:00.1
            keep 0000:00:02.0
            device-group dpdk
            affinity 0,16,32,48
            preserved 1073741824 4294967296 /run/hostimg/preserved

            """)
    }

    @Test func encodedTextParsesBackToTheSamePromises() throws {
        #expect(try TuningPromises.parse(Self.everything.encoded(header: ["a header"])) == Self.everything)
        #expect(try TuningPromises.parse(Self.everything.encoded()) == Self.everything)
        #expect(try TuningPromises.parse(TuningPromises().encoded()) == TuningPromises())
        #expect(TuningPromises().isEmpty && !Self.everything.isEmpty)
    }

    @Test func commentsBlankLinesTabsAndTrailingCommentsAreIgnored() throws {
        let promises = try TuningPromises.parse("# header\n\n   \ncmdline\tiommu=pt   # why\n  pool 2048 8 node=0\n#pool x\n")
        var expected = TuningPromises()
        expected.commandLine = ["iommu=pt"]
        expected.pools = [TuningPromises.Pool(sizeKB: 2048, count: 8, node: 0)]
        #expect(promises == expected)
    }

    @Test func expectedTotalsSumEveryPoolOfASize() {
        #expect(Self.everything.expectedTotals == [2048: 96, 1_048_576: 4])
        #expect(TuningPromises().expectedTotals.isEmpty)
    }

    @Test(arguments: [(0o770 as UInt32, "0770"), (0o755, "0755"), (0o1777, "1777"), (0, "0000"), (0o7, "0007")])
    func octalHasFourDigits(mode: UInt32, text: String) {
        #expect(TuningPromises.octal(mode) == text)
    }

    /// Each bad line: the text (after a valid first line), and words the message must hold.
    @Test(arguments: [
        ("hugepages 2048 64", "unknown promise 'hugepages'"),
        ("Cmdline x=1", "unknown promise 'Cmdline'"),
        ("cmdline", "'cmdline' with 0 word(s) after it"),
        ("cmdline a=1 b=2", "'cmdline' with 2 word(s) after it"),
        ("pool 2048", "'pool' with 1 word(s) after it"),
        ("pool 2048 1 node=0 extra", "'pool' with 4 word(s) after it"),
        ("mount /dev/hugepages 2048 dpdk", "'mount' with 3 word(s) after it"),
        ("vfio", "'vfio' with 0 word(s) after it"),
        ("keep 0000:00:02.0 0000:00:03.0", "'keep' with 2 word(s) after it"),
        ("device-group", "'device-group' with 0 word(s) after it"),
        ("affinity 0 1", "'affinity' with 2 word(s) after it"),
        ("vfio 00:03.0", "'00:03.0' is not a PCI address DDDD:BB:DD.F"),
        ("keep 0000:00:02.8", "'0000:00:02.8' is not a PCI address"),
        ("affinity 3-1", "'3-1' is not a CPU list"),
        ("affinity a", "'a' is not a CPU list"),
        ("pool 0 64", "pool needs a page size in kB and a count, got '0 64'"),
        ("pool 2M 64", "pool needs a page size in kB and a count, got '2M 64'"),
        ("pool 2048 -1", "pool needs a page size in kB and a count"),
        ("pool 2048 many", "pool needs a page size in kB and a count"),
        ("pool 2048 8 node1", "'node1' is not node=N"),
        ("pool 2048 8 node=", "'node=' is not node=N"),
        ("pool 2048 8 node=-1", "'node=-1' is not node=N"),
        ("pool 2048 8 node=x", "'node=x' is not node=N"),
        ("pool 2048 8 numa=1", "'numa=1' is not node=N"),
        ("mount dev/hugepages 2048 dpdk 0770", "mount needs PATH PAGE-SIZE-KB GROUP MODE, got 'dev/hugepages 2048 dpdk 0770'"),
        ("mount /dev/hugepages 0 dpdk 0770", "mount needs PATH PAGE-SIZE-KB GROUP MODE"),
        ("mount /dev/hugepages 2M dpdk 0770", "mount needs PATH PAGE-SIZE-KB GROUP MODE"),
        ("mount /dev/hugepages 2048 dpdk 770", "mount needs PATH PAGE-SIZE-KB GROUP MODE"),
        ("mount /dev/hugepages 2048 dpdk 0780", "mount needs PATH PAGE-SIZE-KB GROUP MODE"),
        ("mount /dev/hugepages 2048 dpdk 00770", "mount needs PATH PAGE-SIZE-KB GROUP MODE"),
        ("preserved 1073741824 4294967296", "'preserved' with 2 word(s) after it"),
        ("preserved 1G 4G /run/hostimg/preserved", "preserved needs SIZE OFFSET PATH (bytes, bytes, an absolute path), got '1G 4G /run/hostimg/preserved'"),
        ("preserved 0 4294967296 /run/hostimg/preserved", "preserved needs SIZE OFFSET PATH"),
        ("preserved 1073741824 4294967296 run/hostimg/preserved", "preserved needs SIZE OFFSET PATH"),
        ("preserved 2 18446744073709551615 /p", "preserved needs SIZE OFFSET PATH"),
    ])
    func aLineThisVersionCannotCheckIsAnErrorNamingIt(line: String, message: String) {
        let text = "# header\ncmdline iommu=pt\n" + line + "\n"
        let error = #expect(throws: TuningPromisesError.self) { try TuningPromises.parse(text) }
        #expect(error?.line == 3)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("line 3: ") == true)
    }

    static let regions: [(UInt64, UInt64, String)] = [
        (1 << 30, 4 << 30, "memmap=1G!4G"), (512 << 20, 6 << 30, "memmap=512M!6G"),
        (3 << 40, 1536 << 20, "memmap=3T!1536M"), (4096 + 1, 16 << 20, "memmap=4097!16M"),
    ]

    @Test(arguments: regions)
    func preservedRegionRendersAsTheKernelParameter(size: UInt64, offset: UInt64, parameter: String) {
        let region = TuningPromises.Preserved(size: size, offset: offset, path: "/p")
        #expect(region.kernelParameter == parameter)
        #expect(region.end == offset + size)
    }

    @Test func theFirstBadLineIsTheOneReported() {
        let error = #expect(throws: TuningPromisesError.self) { try TuningPromises.parse("pool 2048 1\nlater x\nvfio bad\n") }
        #expect(error?.description == "line 2: unknown promise 'later' (an agent older than the image cannot check it)")
    }
}

@Suite struct PCIAddressTests {
    @Test(arguments: ["0000:00:03.0", "0000:3b:00.1", "ffff:ff:1f.7", "0001:5e:00.0"])
    func sysfsNamesAreValid(address: String) {
        #expect(PCIAddress.isValid(address))
    }

    @Test(arguments: [
        "", "00:03.0", "0000:00:03", "0000:00:03.8", "0000:00:03.a", "0000:3B:00.0", "0000-00:03.0", "0000:00-03.0",
        "0000:00:03:0", "000g:00:03.0", "0000:00:03.00", " 0000:00:03.0", "0000:00:3.0 ", "0000:0x:03.0", "ÿ000:00:03.0",
    ])
    func otherTextIsNot(text: String) {
        #expect(!PCIAddress.isValid(text))
    }
}

@Suite struct CPUListTests {
    @Test(arguments: [
        ("0-3,8,10-11", [0, 1, 2, 3, 8, 10, 11]),
        ("0,16,32,48", [0, 16, 32, 48]),
        ("0", [0]),
        ("5-5", [5]),
        ("1-15,17-31,33-47,49-63", Array(1...15) + Array(17...31) + Array(33...47) + Array(49...63)),
        ("3,1,2", [1, 2, 3]),
        ("0-2,1-3", [0, 1, 2, 3]),
        ("8191", [8191]),
    ])
    func listsParse(text: String, cpus: [Int]) {
        #expect(CPUList.parse(text) == Set(cpus))
    }

    @Test(arguments: ["", "3-1", "a", "1,", ",1", "1,,2", "-1", "1-", "1-2-3", "8192", "0-8192", " 1", "1 ", "0x1", "1.5"])
    func badListsDoNotParse(text: String) {
        #expect(CPUList.parse(text) == nil)
    }

    @Test(arguments: [
        ([0, 1, 2, 3, 8, 10, 11], "0-3,8,10,11"),
        ([0, 16, 32, 48], "0,16,32,48"),
        ([], ""),
        ([7], "7"),
        ([4, 5], "4,5"),
        ([4, 5, 6], "4-6"),
        ([0, 1, 2, 3, 4, 5, 6, 7], "0-7"),
        ([1, 3, 4, 5, 9, 10], "1,3-5,9,10"),
    ])
    func formatWritesRunsOfThreeOrMoreAsRanges(cpus: [Int], text: String) {
        #expect(CPUList.format(Set(cpus)) == text)
    }

    @Test(arguments: ["0-3,8,10-11", "0,16,32,48", "1-15,17-31,33-47,49-63", "0", "2,4-9,100"])
    func formatParsesBackToTheSameSet(text: String) throws {
        let cpus = try #require(CPUList.parse(text))
        #expect(CPUList.parse(CPUList.format(cpus)) == cpus)
    }
}
