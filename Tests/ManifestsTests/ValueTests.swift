import TestSupport
import Foundation
import Testing
@testable import Manifests

@Suite("Sizes")
struct SizeTests {
    @Test("binary units, bare bytes and the IEC spellings parse", arguments: [
        ("0", 0), ("512", 512), ("1B", 1), ("4K", 4096), ("4KiB", 4096), ("2M", 2 << 20), ("2MiB", 2 << 20),
        ("1G", 1 << 30), ("1GiB", 1 << 30), ("3T", 3 << 40), ("1TiB", 1 << 40), (" 16G ", 16 << 30),
        ("1536M", 1536 << 20),
    ] as [(String, UInt64)])
    func parses(_ text: String, _ bytes: UInt64) throws {
        #expect(try Size.parse(text) == bytes)
    }

    @Test("malformed sizes are refused, naming the text", arguments: [
        "", " ", "G", "2 G", "1.5G", "-1G", "+1G", "1g", "1m", "2GB ", "1 GiB", "1Gi", "0x10", "1e3", "１G", "1G1",
    ])
    func malformed(_ text: String) {
        #expect(throws: Size.ParseError.self) { try Size.parse(text) }
        if text != "2GB " {
            #expect(throws: Size.ParseError.malformed(text)) { try Size.parse(text) }
        }
    }

    @Test("decimal units are refused with the binary spelling suggested", arguments: [
        ("512MB", "512M"), ("16GB", "16G"), ("1TB", "1T"), ("4KB", "4K"), ("4kB", "4K"),
    ])
    func decimalUnits(_ text: String, _ suggestion: String) {
        #expect(throws: Size.ParseError.decimalUnit(text, suggestion: suggestion)) { try Size.parse(text) }
        #expect(Size.ParseError.decimalUnit(text, suggestion: suggestion).description.contains("write '\(suggestion)'"))
    }

    @Test("a size past 2^64 bytes overflows instead of wrapping")
    func overflow() {
        #expect(throws: Size.ParseError.overflow("16777216T")) { try Size.parse("16777216T") }
        #expect(throws: Size.ParseError.overflow("99999999999T")) { try Size.parse("99999999999T") }
        #expect((try? Size.parse("16777215T")) == 16_777_215 << 40)
        #expect((try? Size.parse("18446744073709551615")) == UInt64.max)
    }

    @Test("format writes the largest exact unit", arguments: [
        (0, "0"), (1, "1"), (1023, "1023"), (1024, "1K"), (1536, "1536"), (1536 << 10, "1536K"), (2 << 20, "2M"),
        (1 << 30, "1G"), (3 << 30, "3G"), (1536 << 20, "1536M"), (1 << 40, "1T"), ((1 << 40) + (1 << 30), "1025G"),
    ] as [(UInt64, String)])
    func format(_ bytes: UInt64, _ text: String) throws {
        #expect(Size.format(bytes) == text)
        #expect(try Size.parse(text) == bytes)
    }

    @Test("describe rounds to one decimal", arguments: [
        (0, "0 bytes"), (1023, "1023 bytes"), (1024, "1 KiB"), (1536, "1.5 KiB"),
        (10 << 20, "10 MiB"), ((10 << 20) + (512 << 10), "10.5 MiB"), (64 << 30, "64 GiB"), (3 << 40, "3 TiB"),
        (5000 << 40, "5000 TiB"),
    ] as [(UInt64, String)])
    func describe(_ bytes: UInt64, _ text: String) {
        #expect(Size.describe(bytes) == text)
    }
}

@Suite("CPU lists")
struct CPUSetTests {
    @Test("the kernel's list format parses and prints back in compact form")
    func roundTrip() throws {
        let set = try CPUSet.parse("0-3,8,10-11")
        #expect(set.cpus == [0, 1, 2, 3, 8, 10, 11])
        #expect(set.description == "0-3,8,10-11")
        #expect(try CPUSet.parse(set.description) == set)
    }

    @Test("overlaps, order and spaces are normalised", arguments: [
        ("3,2,1,0", "0-3"), ("0-2,1-3", "0-3"), (" 1 , 3 ", "1,3"), ("5", "5"), ("5-5", "5"), ("0,2,4", "0,2,4"),
        ("8191", "8191"), ("0-1,3-4,6-7", "0-1,3-4,6-7"), ("007", "7"),
    ])
    func normalises(_ text: String, _ compact: String) throws {
        #expect(try CPUSet.parse(text).description == compact)
    }

    @Test("malformed lists are refused with the offending part", arguments: [
        ("1,,2", CPUSet.ParseError.malformed("")), ("a-b", .malformed("a-b")), ("0-3,", .malformed("")),
        (",0", .malformed("")), ("1-2-3", .malformed("1-2-3")), ("-1", .malformed("-1")), ("4-", .malformed("4-")),
        ("0x1", .malformed("0x1")), ("1 2", .malformed("1 2")), ("1;2", .malformed("1;2")),
        ("3-1", .reversed("3-1")), ("9000", .tooLarge(9000)), ("0-8192", .tooLarge(8192)),
        ("", .empty), ("  ", .empty),
    ])
    func malformed(_ text: String, _ error: CPUSet.ParseError) {
        #expect(throws: error) { try CPUSet.parse(text) }
    }

    @Test("set operations")
    func operations() throws {
        let a = try CPUSet.parse("0-7")
        let b = try CPUSet.parse("4-11")
        #expect(a.intersection(b).description == "4-7")
        #expect(a.union(b).description == "0-11")
        #expect(a.subtracting(b).description == "0-3")
        #expect(a.union(b).isSuperset(of: a))
        #expect(!a.isSuperset(of: b))
        #expect(CPUSet([]).isEmpty && CPUSet([]).description == "")
    }
}

@Suite("PCI addresses and ids")
struct PCITests {
    @Test("addresses are DDDD:BB:DD.F, canonicalised to lowercase", arguments: [
        ("0000:3b:00.0", "0000:3b:00.0"), ("0000:3B:00.1", "0000:3b:00.1"), ("ffff:ff:1f.7", "ffff:ff:1f.7"),
        ("10DE:AF:1F.0", "10de:af:1f.0"),
    ])
    func addresses(_ text: String, _ canonical: String) {
        #expect(PCI.address(text) == canonical)
    }

    @Test("malformed addresses are refused", arguments: [
        "3b:00.0", "000:3b:00.0", "00000:3b:00.0", "0000:3b:00", "0000:3b:20.0", "0000:3b:00.8", "0000:3b:0.0",
        "0000:3g:00.0", "0000:3b:00.a", "0000-3b-00.0", "0000:3b:00:0", "0000:3b:00.00", "", " 0000:3b:00.0",
        "0000:3b:00.0 ", "0000:+b:00.0",
    ])
    func badAddresses(_ text: String) {
        #expect(PCI.address(text) == nil)
    }

    @Test("ids are vvvv:dddd, canonicalised to lowercase", arguments: [
        ("8086:159b", "8086:159b"), ("15B3:101D", "15b3:101d"), ("0000:ffff", "0000:ffff"),
    ])
    func ids(_ text: String, _ canonical: String) {
        #expect(PCI.id(text) == canonical)
    }

    @Test("malformed ids are refused", arguments: [
        "8086:15b", "808:159b", "8086-159b", "8086:159b:0", "8086", "808g:159b", "", ":", "8086:", " 8086:159b", "８０８６:159b",
    ])
    func badIDs(_ text: String) {
        #expect(PCI.id(text) == nil)
    }
}

@Suite("Did you mean")
struct DidYouMeanTests {
    static let topLevel = Manifest.topLevelKeys

    @Test("close misspellings, other cases and kebab/snake case find the key", arguments: [
        ("pakages", "packages"), ("overlay", "overlays"), ("kernal", "kernel"),
        ("Image", "image"), ("SIGNING", "signing"), ("extend", "extends"),
    ])
    func topLevelSuggestions(_ word: String, _ suggestion: String) {
        #expect(SchemaReader.closest(to: word, in: Self.topLevel) == suggestion)
    }

    @Test("separators and case are ignored entirely")
    func separators() {
        #expect(SchemaReader.closest(to: "foreign-arch", in: ["docs", "man", "foreignArch"]) == "foreignArch")
        #expect(SchemaReader.closest(to: "slot_size", in: ["size", "slotSize", "espSize", "stateSize"]) == "slotSize")
        #expect(SchemaReader.closest(to: "UNSAFE_NO_IOMMU", in: ["mode", "unsafeNoIommu"]) == "unsafeNoIommu")
        #expect(SchemaReader.closest(to: "host-reserve", in: ["default", "pools", "hostReserve"]) == "hostReserve")
    }

    @Test("words too far from every key get no suggestion", arguments: ["colour", "x", "tunings-and-more", "passthru", ""])
    func noSuggestion(_ word: String) {
        #expect(SchemaReader.closest(to: word, in: Self.topLevel + ["dpdk", "passthrough"]) == nil)
    }

    @Test("the allowed distance grows with the word: 1 for short words, a third for long ones")
    func threshold() {
        #expect(SchemaReader.closest(to: "mdoe", in: ["mode"]) == nil)        // two edits in four letters
        #expect(SchemaReader.closest(to: "mod", in: ["mode"]) == "mode")      // one edit
        #expect(SchemaReader.closest(to: "housekeping", in: ["housekeeping", "isolated"]) == "housekeeping")
        #expect(SchemaReader.closest(to: "hskpng", in: ["housekeeping", "isolated"]) == nil)
        #expect(SchemaReader.closest(to: "anything", in: []) == nil)
    }

    @Test("edit distance")
    func editDistance() {
        #expect(SchemaReader.editDistance(Array("kitten"), Array("sitting")) == 3)
        #expect(SchemaReader.editDistance(Array(""), Array("abc")) == 3)
        #expect(SchemaReader.editDistance(Array("abc"), Array("")) == 3)
        #expect(SchemaReader.editDistance(Array("same"), Array("same")) == 0)
    }
}

@Suite("Kernel command line")
struct KernelCommandLineTests {
    private func tuning(_ yaml: String) throws -> Tuning {
        guard case let .document(root) = YAMLLoader.parse(bytes: Array(yaml.utf8), file: "t.yaml") else {
            throw ExpectedDiagnostic.FormatError(description: "test YAML does not parse")
        }
        var reader = SchemaReader()
        let tuning = Tuning.decode(root, reader: &reader)
        #expect(reader.sink.diagnostics.isEmpty, "\(reader.sink.diagnostics.map(\.message))")
        return tuning
    }

    @Test("default first, then each hugepages= right after its hugepagesz=, larger pages first, node pools left out")
    func hugepageOrder() throws {
        let arguments = KernelCommandLine.tuningArguments(try tuning("""
        hugepages:
          default: 2M
          pools:
            - {size: 2M, count: 1024}
            - {size: 1G, count: 16}
            - {size: 2M, count: 512, node: 1}
            - {size: 2M, count: 100}
        """))
        #expect(arguments == ["default_hugepagesz=2M", "hugepagesz=1G", "hugepages=16", "hugepagesz=2M", "hugepages=1124"])
        #expect(KernelCommandLine.misorderedHugepages(arguments) == [])
    }

    @Test("only pinned pools: a default and no boot-time pairs")
    func onlyPinnedPools() throws {
        let arguments = KernelCommandLine.tuningArguments(try tuning("hugepages:\n  default: 2M\n  pools: [{size: 2M, count: 8, node: 0}]\n"))
        #expect(arguments == ["default_hugepagesz=2M"])
    }

    @Test("no pools: nothing about hugepages, even with a default")
    func noPools() throws {
        #expect(KernelCommandLine.tuningArguments(try tuning("hugepages:\n  default: 1G\n")) == [])
        #expect(KernelCommandLine.tuningArguments(Tuning()) == [])
    }

    @Test("IOMMU modes", arguments: [("intel", ["intel_iommu=on", "iommu=pt"]), ("amd", ["iommu=pt"]), ("off", [])])
    func iommu(_ mode: String, _ expected: [String]) throws {
        #expect(KernelCommandLine.tuningArguments(try tuning("iommu: {mode: \(mode)}\n")) == expected)
    }

    @Test("CPU isolation: explicit parameters win, defaults follow isolated and housekeeping")
    func cpus() throws {
        #expect(KernelCommandLine.tuningArguments(try tuning("cpus: {housekeeping: \"0,8\", isolated: \"1-7,9-15\"}\n")) == [
            "isolcpus=managed_irq,domain,1-7,9-15", "nohz_full=1-7,9-15", "rcu_nocbs=1-7,9-15", "irqaffinity=0,8",
        ])
        #expect(KernelCommandLine.tuningArguments(try tuning("""
        cpus: {housekeeping: "0", isolated: "1-3", nohzFull: "2-3", rcuNocbs: "1-3", irqAffinity: "0"}
        """)) == ["isolcpus=managed_irq,domain,1-3", "nohz_full=2-3", "rcu_nocbs=1-3", "irqaffinity=0"])
        // nohzFull given, rcuNocbs not: rcu_nocbs follows nohz_full.
        #expect(KernelCommandLine.tuningArguments(try tuning("cpus: {housekeeping: \"0\", isolated: \"1-3\", nohzFull: \"2-3\"}\n"))
            .contains("rcu_nocbs=2-3"))
        // Housekeeping only: nothing is isolated, nothing rendered.
        #expect(KernelCommandLine.tuningArguments(try tuning("cpus: {housekeeping: \"0-3\"}\n")) == [])
    }

    @Test("everything together keeps the documented order")
    func fullOrder() throws {
        let arguments = KernelCommandLine.tuningArguments(try tuning("""
        cpus: {housekeeping: "0", isolated: "1"}
        iommu: {mode: intel}
        hugepages: {default: 1G, pools: [{size: 1G, count: 2}]}
        """))
        #expect(arguments == ["default_hugepagesz=1G", "hugepagesz=1G", "hugepages=2", "intel_iommu=on", "iommu=pt",
                              "isolcpus=managed_irq,domain,1", "nohz_full=1", "rcu_nocbs=1", "irqaffinity=0"])
    }

    @Test("misordered hugepages= are found by index", arguments: [
        (["hugepages=4"], [0]),
        (["hugepagesz=1G", "hugepages=4"], []),
        (["hugepages=4", "hugepagesz=1G", "hugepages=8"], [0]),
        (["hugepagesz=1G", "hugepagesz=2M", "hugepages=4", "hugepages=5"], [3]),
        (["hugepagesz=1G", "console=ttyS0", "hugepages=4"], []),
        (["default_hugepagesz=1G", "hugepages=4"], [1]),
        (["hugepagesz=1G", "hugepages=4", "hugepages=5"], [2]),
        (["console=ttyS0", "panic=10"], []),
        ([], []),
    ] as [([String], [Int])])
    func misordered(_ arguments: [String], _ bad: [Int]) {
        #expect(KernelCommandLine.misorderedHugepages(arguments) == bad)
    }

    /// The rendered command line always pairs its sizes, so the `hugepages.cmdline-order` check
    /// on it (RuleContext.checkKernelCommandLine) cannot fire; only a kernel file's can.
    @Test("the rendered command line never misorders hugepages=, whatever the pools", arguments: 0..<8)
    func renderedAlwaysOrdered(seed: Int) throws {
        var generator = SeededGenerator(seed: 3000 + UInt64(seed))
        let sizes = ["4K", "2M", "1G", "16M", "2M", "1G"]
        let pools = (0..<Int.random(in: 1...8, using: &generator)).map { _ in
            let node = Bool.random(using: &generator) ? ", node: \(Int.random(in: 0...3, using: &generator))" : ""
            return "{size: \(sizes[Int.random(in: 0..<sizes.count, using: &generator)]), count: \(Int.random(in: 0...9, using: &generator))\(node)}"
        }
        let defaultLine = Bool.random(using: &generator) ? "  default: 1G\n" : ""
        let arguments = KernelCommandLine.tuningArguments(try tuning("hugepages:\n\(defaultLine)  pools: [\(pools.joined(separator: ", "))]\n"))
        #expect(KernelCommandLine.misorderedHugepages(arguments) == [], "\(arguments)")
    }

    @Test("parameter names")
    func names() {
        #expect(KernelCommandLine.name(of: "hugepagesz=1G") == "hugepagesz")
        #expect(KernelCommandLine.name(of: "quiet") == "quiet")
        #expect(KernelCommandLine.name(of: "isolcpus=managed_irq,domain,1-3") == "isolcpus")
    }
}
