import BootEntries
import Testing

/// BLS boot counting names: what systemd-boot writes and reads (`NAME+LEFT[-DONE].efi`).
@Suite struct BootEntryNameTests {
    @Test(arguments: [
        ("qemu-dev_0.1.0+3.efi", "qemu-dev_0.1.0", 3, 0),
        ("qemu-dev_0.1.0+2-1.efi", "qemu-dev_0.1.0", 2, 1),
        ("qemu-dev_0.1.0+0-3.efi", "qemu-dev_0.1.0", 0, 3),
        ("host_1.2+rc1+5-10.efi", "host_1.2+rc1", 5, 10),
        ("entry+1.conf", "entry", 1, 0),
    ])
    func countedNamesParse(name: String, base: String, left: Int, done: Int) throws {
        let entry = try #require(BootEntryName(fileName: name))
        #expect(entry.base == base)
        #expect(entry.counter == BootEntryName.Counter(left: left, done: done))
        #expect(entry.fileName == name)
        #expect(!entry.isGood)
        #expect(entry.isBad == (left == 0))
    }

    @Test(arguments: ["qemu-dev_0.1.0.efi", "host_1.2+rc1.efi", "a+.efi", "a+1-.efi", "a+-1.efi", "a+x1.efi", "a+1-2-3.efi", "a+1234567890.efi"])
    func namesWithoutACounterStayWhole(name: String) throws {
        let entry = try #require(BootEntryName(fileName: name))
        #expect(entry.counter == nil)
        #expect(entry.base + entry.suffix == name)
        #expect(entry.isGood)
        #expect(entry.blessed == entry)
        #expect(entry.tried == entry)
    }

    @Test(arguments: ["README", "x.efi.bak", ".efi", ""])
    func otherFilesAreNotEntries(name: String) {
        #expect(BootEntryName(fileName: name) == nil)
    }

    /// The countdown the firmware boot test reads from the ESP after each power-off.
    @Test func triesRunDownAsSystemdBootCountsThem() {
        var entry = BootEntryName.new(base: "qemu-dev_0.1.0", tries: 3)
        var seen = [entry.fileName]
        for _ in 0..<4 {
            entry = entry.tried
            seen.append(entry.fileName)
        }
        #expect(seen == ["qemu-dev_0.1.0+3.efi", "qemu-dev_0.1.0+2-1.efi", "qemu-dev_0.1.0+1-2.efi",
                         "qemu-dev_0.1.0+0-3.efi", "qemu-dev_0.1.0+0-4.efi"])
        #expect(entry.isBad)
        #expect(entry.blessed.fileName == "qemu-dev_0.1.0.efi")
    }
}
