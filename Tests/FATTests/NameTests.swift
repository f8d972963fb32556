import Testing
import TestSupport

@testable import FAT

/// Short names, long-name entries, and the names the writer refuses.
@Suite struct NameTests {
    static func short(_ text: String) -> [UInt8] {
        let parts = text.split(separator: ".", maxSplits: 1)
        let base = Array((parts.first ?? "").utf8), ext = parts.count > 1 ? Array(parts[1].utf8) : []
        return FAT.ShortName.padded(base, 8) + FAT.ShortName.padded(ext, 3)
    }

    @Test func exactNamesAreUpperCaseEightDotThree() {
        #expect(FAT.ShortName.exact("EFI") == Self.short("EFI"))
        #expect(FAT.ShortName.exact("BOOTX64.EFI") == Self.short("BOOTX64.EFI"))
        #expect(FAT.ShortName.exact("QEMU-D~1.EFI") == Self.short("QEMU-D~1.EFI"))
        for name in ["loader.conf", "boot", "LOADER.CONF", "TOOLONGNAME", "A.B.C", ".EFI", "EFI.", "A B", "A+B", "ÉFI"] {
            #expect(FAT.ShortName.exact(name) == nil, "\(name)")
        }
        #expect(FAT.ShortName.exact("readme.txt", foldingCase: true) == Self.short("README.TXT"))
    }

    @Test(arguments: [
        ("qemu-dev_0.1.0+3.efi", "QEMU-D~1.EFI"),
        ("systemd-bootx64.efi", "SYSTEM~1.EFI"),
        ("loader.conf", "LOADER~1.CON"),
        ("foo.efi", "FOO.EFI"),
        (".bashrc.swp", "BASHRC~1.SWP"),
        ("my file.txt", "MYFILE~1.TXT"),
        ("a+b.c", "A_B~1.C"),
        ("résumé.txt", "R_SUM_~1.TXT"),
        ("a.b.c.d", "A~1.D"),
        ("NoExtension", "NOEXTE~1"),
        ("x.tar.gz", "X~1.GZ"),
    ])
    func generatedShortNamesFollowTheBasisNameRules(name: String, expected: String) {
        #expect(FAT.ShortName.generate(for: name) { _ in false } == Self.short(expected))
    }

    @Test func numericTailsCountUpAndCutTheBase() {
        var taken: Set<[UInt8]> = []
        var names: [[UInt8]] = []
        for _ in 1...11 {
            let next = FAT.ShortName.generate(for: "qemu-dev_0.1.0+3.efi") { taken.contains($0) }
            if let next {
                taken.insert(next)
                names.append(next)
            }
        }
        #expect(names.first == Self.short("QEMU-D~1.EFI"))
        #expect(names[8] == Self.short("QEMU-D~9.EFI"))
        #expect(names[9] == Self.short("QEMU-~10.EFI"))
        // A taken basis gets a tail although the name itself fits 8.3.
        #expect(FAT.ShortName.generate(for: "foo.efi") { $0 == Self.short("FOO.EFI") } == Self.short("FOO~1.EFI"))
    }

    @Test func checksumsMatchTheSpec() {
        #expect(FAT.ShortName.checksum(Self.short("QEMU-D~1.EFI")) == 0x90)
        #expect(FAT.ShortName.checksum(Self.short("BOOTX64.EFI")) == 0x1D)
        #expect(FAT.ShortName.checksum(Self.short("LOADER~1.CON")) == 0xB6)
    }

    @Test func longNamesSplitIntoThirteenUnitsLastFirst() {
        let thirteen = FAT.LongNameEntry.entries(for: "abcdefghijklm", checksum: 7)
        #expect(thirteen.count == 1)
        #expect(thirteen[0].ordinal == 0x41)
        #expect(thirteen[0].units == Array("abcdefghijklm".utf16), "a full piece has no terminator")
        let fourteen = FAT.LongNameEntry.entries(for: "abcdefghijklmn", checksum: 7)
        #expect(fourteen.map(\.ordinal) == [0x42, 0x01])
        #expect(fourteen[0].units == [UInt16(UInt8(ascii: "n")), 0] + [UInt16](repeating: 0xFFFF, count: 11))
        let encoded = fourteen[1].encoded()
        #expect(encoded[11] == 0x0F && encoded[13] == 7 && encoded[26] == 0 && encoded[27] == 0)
        #expect(FAT.LongNameEntry(slot: encoded[...]) == fourteen[1])
        // Characters outside the BMP take two units.
        #expect(FAT.LongNameEntry.count(for: String(repeating: "😀", count: 7)) == 2)
        #expect(FAT.LongNameEntry.count(for: String(repeating: "x", count: 255)) == 20)
    }

    @Test(arguments: [
        ("EFI/bad*name.efi", "contains '*'"),
        ("EFI/what?.efi", "contains '?'"),
        ("EFI/a:b", "contains ':'"),
        ("EFI/back\\slash", "contains '\\'"),
        ("EFI/tab\there", "contains a control character"),
        ("EFI/trailing.", "ends with a dot"),
        ("EFI/trailing ", "ends with a space"),
        ("EFI//double", "a name is empty"),
        ("EFI/../up", "'..' is not a name"),
        ("EFI/", "a file needs a name"),
    ])
    func illegalNamesAreRefusedWithTheReason(path: String, reason: String) throws {
        let error = try #require(throws: FATError.self) {
            try FAT.Plan(files: [FAT.File(path: path, contents: [1])], directories: [], size: 64 << 20,
                         options: Fixtures.options, hiddenSectors: 0)
        }
        guard case .invalidName(let named, _) = error else {
            Issue.record("\(path): \(error)")
            return
        }
        #expect(named == path)
        #expect(error.description.contains(reason), "\(error)")
    }

    @Test func aNameOf255UnitsIsFine() throws {
        let name = String(repeating: "é", count: 251) + ".efi"
        #expect(name.utf16.count == 255)
        _ = try Self.plan([FAT.File(path: name, contents: [])])
    }

    static func plan(_ files: [FAT.File], _ directories: [String] = []) throws -> FAT.Plan {
        try FAT.Plan(files: files, directories: directories, size: 64 << 20, options: Fixtures.options, hiddenSectors: 0)
    }

    @Test func overlongNamesAreRefused() throws {
        let name = String(repeating: "é", count: 252) + ".efi"
        let error = try #require(throws: FATError.self) { try Self.plan([FAT.File(path: "EFI/" + name, contents: [])]) }
        #expect(error.description.contains("is 256 UTF-16 units long; FAT allows at most 255"), "\(error)")
    }

    @Test func namesThatDifferOnlyInCaseCollide() throws {
        let files = [FAT.File(path: "EFI/BOOT/a.efi", contents: []), FAT.File(path: "efi/boot/b.efi", contents: [])]
        #expect(throws: FATError.duplicateName(directory: "", first: "EFI", second: "efi")) { try Self.plan(files) }
        let same = [FAT.File(path: "EFI/Linux/A.efi", contents: []), FAT.File(path: "EFI/Linux/a.EFI", contents: [])]
        let error = try #require(throws: FATError.self) { try Self.plan(same) }
        #expect(error.description == "'A.efi' and 'a.EFI' in /EFI/Linux are the same name on FAT, which ignores case; rename one")
        let twice = [FAT.File(path: "x", contents: []), FAT.File(path: "/x", contents: [1])]
        #expect(try #require(throws: FATError.self) { try Self.plan(twice) }.description.contains("'x' is given twice"))
        // Directories are made first, so the file is the second name.
        #expect(throws: FATError.duplicateName(directory: "EFI", first: "X", second: "x")) {
            try Self.plan([FAT.File(path: "EFI/x", contents: [])], ["EFI/X"])
        }
        #expect(throws: FATError.notADirectory(path: "EFI/x")) {
            try Self.plan([FAT.File(path: "EFI/x", contents: []), FAT.File(path: "EFI/x/y", contents: [])])
        }
        // Directories named twice, or implied by a file, are one directory.
        _ = try Self.plan([FAT.File(path: "EFI/Linux/a", contents: [])], ["EFI", "EFI/Linux", "/EFI/Linux/", "EFI/Linux"])
    }

    @Test func labelsAreShortNameCharacters() throws {
        #expect(try FAT.labelBytes("esp") == Array("ESP        ".utf8))
        #expect(try FAT.labelBytes("") == nil)
        #expect(try FAT.labelBytes("MY ESP") == Array("MY ESP     ".utf8))
        for bad in ["TWELVE CHARS", "A.B", " LEAD", "ÉSP"] {
            #expect(throws: FATError.self) { try FAT.labelBytes(bad) }
        }
    }

    @Test func theShortNamesOfOneDirectoryAreUniqueAgainstLongNamesToo() throws {
        // "qemu-d~1.efi" folds to QEMU-D~1.EFI, so the long name cannot have it.
        let plan = try Self.plan([FAT.File(path: "qemu-d~1.efi", contents: []), FAT.File(path: "qemu-dev_0.1.0+3.efi", contents: [])])
        let shorts = plan.tree.directories[0].members.map { ($0.name, FAT.ShortName.display($0.shortName)) }
        #expect(Dictionary(uniqueKeysWithValues: shorts) == ["qemu-d~1.efi": "QEMU-D~1.EFI", "qemu-dev_0.1.0+3.efi": "QEMU-D~2.EFI"])
    }
}
