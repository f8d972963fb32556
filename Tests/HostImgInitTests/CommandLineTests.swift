import Slots
import Testing

@testable import HostImgInit

/// The command line as hostimg-init reads /proc/cmdline.
@Suite struct KernelCommandLineTests {
    @Test func splitsLikeTheKernel() {
        let line = KernelCommandLine("console=ttyS0,115200n8  ro quiet\tpanic=10 \"dyndbg=file a.c +p\" opt=\"a b\" empty=\n")
        #expect(line.parameters == [
            .init(key: "console", value: "ttyS0,115200n8"),
            .init(key: "ro", value: nil),
            .init(key: "quiet", value: nil),
            .init(key: "panic", value: "10"),
            .init(key: "dyndbg", value: "file a.c +p"),
            .init(key: "opt", value: "a b"),
            .init(key: "empty", value: ""),
        ])
        #expect(line.contains("ro"))
        #expect(line.value("ro") == nil)
        #expect(!line.contains("rw"))
    }

    @Test func theFirstEqualsSplitsAndTheLastValueWins() {
        let line = KernelCommandLine("a=b=c x=1 x=2")
        #expect(line.value("a") == "b=c")
        #expect(line.value("x") == "2")
    }

    @Test func emptyAndBlankLinesHaveNoParameters() {
        #expect(KernelCommandLine("").parameters.isEmpty)
        #expect(KernelCommandLine(" \n\0").parameters.isEmpty)
    }

    /// An unterminated quote runs to the end of the line, as in the kernel.
    @Test func anOpenQuoteRunsToTheEnd() {
        let line = KernelCommandLine("a=\"x y z")
        #expect(line.parameters == [.init(key: "a", value: "x y z")])
    }
}

@Suite struct BootOptionsTests {
    static let hash = "3f1a0c9b2e8d47f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2"

    @Test func defaults() throws {
        let options = try BootOptions(KernelCommandLine("console=ttyS0 roothash=\(Self.hash) ro"))
        #expect(options == BootOptions(rootHash: Self.hash))
        #expect(options.initPath == "/sbin/init")
        #expect(options.failure == .halt)
        #expect(options.timeoutSeconds == 30)
        #expect(!options.ignoreState)
        #expect(options.rootHashBytes.count == 32)
        #expect(options.rootHashBytes.first == 0x3f)
    }

    @Test func everyOption() throws {
        let options = try BootOptions(KernelCommandLine(
            "roothash=\(Self.hash.uppercased()) hostimg.init=/usr/lib/systemd/systemd hostimg.failure=reboot hostimg.timeout=5 hostimg.state=ignore"))
        #expect(options.rootHash == Self.hash)
        #expect(options.initPath == "/usr/lib/systemd/systemd")
        #expect(options.failure == .reboot)
        #expect(options.timeoutSeconds == 5)
        #expect(options.ignoreState)
    }

    @Test(arguments: [
        ("console=ttyS0", "roothash= is missing"),
        ("roothash=abc", "is not 64 hex digits"),
        ("roothash=\(String(repeating: "g", count: 64))", "is not 64 hex digits"),
        ("roothash=\(hash)0", "is not 64 hex digits"),
        ("roothash=\(hash) hostimg.init=sbin/init", "is not an absolute path"),
        ("roothash=\(hash) hostimg.failure=explode", "is not one of halt, poweroff, reboot"),
        ("roothash=\(hash) hostimg.timeout=-1", "is not a whole number of seconds"),
        ("roothash=\(hash) hostimg.timeout=86401", "is not a whole number of seconds"),
        ("roothash=\(hash) hostimg.timeout=ten", "is not a whole number of seconds"),
        ("roothash=\(hash) hostimg.state=keep", "the only value is \"ignore\""),
    ])
    func invalidLinesNameTheParameter(line: String, message: String) throws {
        let error = try #require(throws: InitError.self) { try BootOptions(KernelCommandLine(line)) }
        #expect(error.description.hasPrefix("kernel command line: "), "\(error)")
        #expect(error.description.contains(message), "\(error)")
    }

    /// The failure action is read even from a line the rest of the options reject, so a bad
    /// root hash still powers off (or reboots) as asked.
    @Test func theFailureActionSurvivesABadLine() {
        #expect(BootOptions.failureAction(KernelCommandLine("roothash=bad hostimg.failure=poweroff")) == .poweroff)
        #expect(BootOptions.failureAction(KernelCommandLine("hostimg.failure=nonsense")) == .halt)
        #expect(BootOptions.failureAction(KernelCommandLine("")) == .halt)
    }
}

@Suite struct ModuleListTests {
    @Test func parsesPathsParametersAndComments() throws {
        let list = try ModuleList(parsing: """
            # written by hostimg build
            /usr/lib/modules/6.1.0-57-cloud-amd64/kernel/drivers/md/dm-mod.ko

              /usr/lib/modules/6.1.0-57-cloud-amd64/kernel/drivers/md/dm-verity.ko.xz \t verify=1  other=2 \r
            /lib/modules/v/kernel/fs/erofs/erofs.ko.zst
            /lib/modules/v/kernel/x.ko.gz
            """)
        #expect(list.modules.map(\.path) == [
            "/usr/lib/modules/6.1.0-57-cloud-amd64/kernel/drivers/md/dm-mod.ko",
            "/usr/lib/modules/6.1.0-57-cloud-amd64/kernel/drivers/md/dm-verity.ko.xz",
            "/lib/modules/v/kernel/fs/erofs/erofs.ko.zst",
            "/lib/modules/v/kernel/x.ko.gz",
        ])
        #expect(list.modules.map(\.parameters) == ["", "verify=1  other=2", "", ""])
        #expect(list.modules.map(\.isCompressed) == [false, true, true, true])
    }

    @Test func anEmptyListLoadsNothing() throws {
        #expect(try ModuleList(parsing: "").modules.isEmpty)
        #expect(try ModuleList(parsing: "# nothing\n\n").modules.isEmpty)
    }

    @Test func badLinesNameTheLine() throws {
        let relative = try #require(throws: InitError.self) {
            try ModuleList(parsing: "/a/dm-mod.ko\n\nkernel/drivers/md/dm-verity.ko\n")
        }
        #expect(relative == .moduleList(line: 3, "\"kernel/drivers/md/dm-verity.ko\" is not an absolute path inside the initrd (e.g. /usr/lib/modules/VERSION/kernel/drivers/md/dm-verity.ko)"))
        #expect(relative.description.hasPrefix("\(HostImgInit.moduleListPath) line 3: "))

        let notModule = try #require(throws: InitError.self) { try ModuleList(parsing: "/usr/lib/hostimg/modules.txt") }
        #expect(notModule.description.contains("is not a module file (.ko, .ko.xz, .ko.zst or .ko.gz)"), "\(notModule)")
    }
}
