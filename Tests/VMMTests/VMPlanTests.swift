import Testing
import VMM

/// The per-VM paths, each cold reason, the state-space check and the policy.
@Suite struct VMPlanTests {
    static let qemu = "/usr/bin/qemu-system-x86_64"
    static let v72 = QEMUVersion(major: 7, minor: 2, micro: 0)

    /// A host where `/dev/hugepages` is hugetlbfs and `/run/hostimg/preserved/dir` a directory.
    static func settings(free: UInt64 = 64 << 30, allowCold: Bool = false, newQEMU: NewSlotQEMU = .version(v72)) -> VMPlan.Settings {
        var settings = VMPlan.Settings()
        settings.stateDirectoryFreeBytes = free
        settings.allowCold = allowCold
        settings.newQEMU = newQEMU
        settings.fileSystem = VMPlan.FileSystemFacts(
            isHugetlbfs: { $0.hasPrefix("/dev/hugepages") }, isDirectory: { $0 == "/run/hostimg/preserved/dir" })
        return settings
    }

    static func vm(_ name: String, _ options: [String], pid: Int32 = 100, version: QEMUVersion? = v72) -> RunningVM {
        RunningVM(name: name, socketPath: "/run/hostimg/vms/\(name).qmp", pid: pid,
                  argv: [qemu, "-machine", "pc-q35-7.2"] + options, qemuVersion: version)
    }

    static func entry(_ options: [String], settings: VMPlan.Settings = settings()) throws -> VMPlan.Entry {
        try #require(VMPlan(vms: [vm("web", options)], settings: settings).entries.first)
    }

    static func fileRAM(_ path: String, share: String = "on", size: String = "1G") -> [String] {
        ["-machine", "memory-backend=ram0", "-object", "memory-backend-file,id=ram0,size=\(size),mem-path=\(path),share=\(share)"]
    }

    @Test func sharedFilesInThePreservedRegionArePreserved() throws {
        let entry = try Self.entry(Self.fileRAM("/run/hostimg/preserved/web.ram"))
        #expect(entry.path == .preserve && entry.streamBytes == 0 && entry.ignoreShared)
        #expect(entry.preservedFiles == [VMPlan.PreservedFile(path: "/run/hostimg/preserved/web.ram", bytes: 1 << 30)])
        #expect(entry.stateFile == "/run/hostimg/preserved/web.state" && entry.ramBytes == 1 << 30)
    }

    @Test func ramOutsideThePreservedRegionIsSaved() throws {
        let anonymous = try Self.entry(["-m", "2G"])
        #expect(anonymous.path == .save && anonymous.streamBytes == 2 << 30 && anonymous.ignoreShared)
        #expect(anonymous.stateFile == "/var/lib/hostimg/vm-state/web.state")
        let ram = try Self.entry(["-machine", "memory-backend=r", "-object", "memory-backend-ram,id=r,size=1G"])
        #expect(ram.path == .save && ram.streamBytes == 1 << 30)
        // Shared blocks outside the region would be skipped by x-ignore-shared: the whole RAM goes.
        let memfd = try Self.entry(["-machine", "memory-backend=m", "-object", "memory-backend-memfd,id=m,size=1G"])
        #expect(memfd.path == .save && !memfd.ignoreShared && memfd.streamBytes == 1 << 30)
        for path in ["/dev/shm/web", "/run/hostimg/preservedX/web", "/run/hostimg/preserved/../web", "/run/hostimg/preserved/dir"] {
            let entry = try Self.entry(Self.fileRAM(path))
            #expect(entry.path == .save && !entry.ignoreShared && entry.preservedFiles.isEmpty, "\(path)")
        }
        let privateFile = try Self.entry(Self.fileRAM("/run/hostimg/preserved/web.ram", share: "off"))
        #expect(privateFile.path == .save && privateFile.ignoreShared, "a private mapping's pages are not the file's")
        let mixed = try Self.entry(Self.fileRAM("/run/hostimg/preserved/web.ram") + [
            "-object", "memory-backend-ram,id=d,size=512M", "-device", "pc-dimm,id=dimm0,memdev=d",
        ])
        #expect(mixed.path == .save && mixed.ignoreShared && mixed.streamBytes == 512 << 20 && mixed.ramBytes == 3 << 29)
        #expect(mixed.preservedFiles.count == 1)
    }

    @Test func eachColdReasonNamesWhatIsAtFault() throws {
        let cases: [([String], String)] = [
            (Self.fileRAM("/dev/hugepages/web"), "RAM backend 'ram0' is on hugetlbfs (/dev/hugepages/web)"),
            (["-machine", "memory-backend=m", "-object", "memory-backend-memfd,id=m,size=1G,hugetlb=on,hugetlbsize=2M"],
             "RAM backend 'm' is a memfd of huge pages (hugetlb=on)"),
            (["-m", "1G", "-mem-path", "/dev/hugepages"], "its main RAM is on hugetlbfs (-mem-path /dev/hugepages)"),
            (["-m", "1G", "-device", "vfio-pci,host=0000:01:00.0,id=gpu0"],
             "device vfio-pci (id=gpu0, host=0000:01:00.0) passes a host device through"),
            (["-machine", "memory-backend=e", "-object", "memory-backend-epc,id=e,size=64M"],
             "RAM backend 'e' has type memory-backend-epc"),
            (["-m", "1G", "-snapshot"], "-snapshot keeps its disk writes in temporary files"),
            (["-m", "1G", "-readconfig", "/etc/vm.cfg"], "-readconfig /etc/vm.cfg holds part of its configuration"),
            (["-machine", "memory-backend=gone"], "cannot read its command line: -machine memory-backend names 'gone'"),
        ]
        for (options, expected) in cases {
            let entry = try Self.entry(options)
            #expect(entry.isCold && entry.reasons.contains { $0.hasPrefix(expected) }, "\(entry.reasons) lacks \(expected)")
            #expect(entry.predictedBlackout == nil && entry.stateFile == nil)
        }
        let both = try Self.entry(Self.fileRAM("/dev/hugepages/x") + ["-device", "vfio-pci,host=0000:02:00.0"])
        #expect(both.reasons.count == 2, "every reason, not the first")
        let silent = RunningVM(name: "old", socketPath: "/run/hostimg/vms/old.qmp", problem: "nobody answers on its QMP socket /run/hostimg/vms/old.qmp (ECONNREFUSED)")
        let plan = VMPlan(vms: [silent, Self.vm("noversion", ["-m", "1G"], version: nil)], settings: Self.settings())
        #expect(plan.entries[1].reasons == ["nobody answers on its QMP socket /run/hostimg/vms/old.qmp (ECONNREFUSED)"])
        #expect(plan.entries[0].reasons == ["its QEMU version is unknown (QMP query-version did not answer)"])
        var mute = Self.vm("mute", ["-m", "1G"])
        mute.problem = "QMP did not answer query-version within 5 s"
        let muted = try #require(VMPlan(vms: [mute], settings: Self.settings()).entries.first)
        #expect(muted.reasons == [mute.problem].compactMap { $0 } && muted.arguments?.argv == mute.argv, "kept for a cold restart")
    }

    @Test func streamsMustFitTheStateDirectoryTogether() throws {
        var settings = Self.settings(free: (3 << 30) + (300 << 20))
        settings.stateDirectory = "/state"
        let plan = VMPlan(vms: [Self.vm("a", ["-m", "2G"]), Self.vm("b", ["-m", "1G"]), Self.vm("c", ["-m", "512M"])], settings: settings)
        #expect(plan.entries.map(\.path.word) == ["save", "cold", "save"], "2G+256M fits, 1G+256M more does not, 512M+256M does")
        #expect(plan.entries[1].reasons == [
            "its RAM in the migration stream (1 GiB) and a margin of 256 MiB do not fit the free space of /state "
                + "(3.3 GiB free, 2.3 GiB of it for other VMs' saves)",
        ])
        let alone = VMPlan(vms: [Self.vm("a", ["-m", "2G"])], settings: Self.settings(free: 2 << 30))
        #expect(alone.entries[0].reasons == [
            "its RAM in the migration stream (2 GiB) and a margin of 256 MiB do not fit the free space of /var/lib/hostimg/vm-state (2 GiB free)",
        ])
    }

    @Test func aColdVMBlocksUnlessAllowed() throws {
        let vms = [
            Self.vm("gpu", ["-m", "1G", "-device", "vfio-pci,host=0000:01:00.0"], pid: 7),
            Self.vm("web", Self.fileRAM("/run/hostimg/preserved/web.ram")),
        ]
        let blocked = VMPlan(vms: vms, settings: Self.settings())
        #expect(blocked.isBlocked && blocked.coldEntries.map(\.name) == ["gpu"])
        let refusal = try #require(blocked.refusal)
        #expect(refusal.hasPrefix("the switch is refused; nothing was paused:"))
        #expect(refusal.contains("VM gpu (pid 7) cannot be kept: device vfio-pci (host=0000:01:00.0) passes a host device through"))
        #expect(refusal.contains("--allow-cold") && refusal.contains("started fresh with the same command line"))
        #expect(!refusal.contains("VM web"))
        let allowed = VMPlan(vms: vms, settings: Self.settings(allowCold: true))
        #expect(!allowed.isBlocked && allowed.refusal == nil && allowed.entries[0].isCold)
        #expect(!VMPlan(vms: [vms[1]], settings: Self.settings()).isBlocked)
        #expect(!VMPlan(vms: [], settings: Self.settings(newQEMU: .absent)).isBlocked, "no VM, nothing to run after")
    }
}
