import Testing
import VMM

/// The QEMU version rule and the blackout model's arithmetic.
@Suite struct VMPlanVersionAndBlackoutTests {
    typealias Plan = VMPlanTests

    @Test func versionsParseAndOrder() {
        #expect(QEMUVersion("7.2.0") == QEMUVersion(major: 7, minor: 2, micro: 0))
        #expect(QEMUVersion("8.2") == QEMUVersion(major: 8, minor: 2, micro: 0))
        #expect(QEMUVersion("7.2.22")?.description == "7.2.22")
        for bad in ["7", "7.2.0.1", "7..2", "v7.2", "7.2.x", "+7.2", ""] { #expect(QEMUVersion(bad) == nil, "\(bad)") }
        let order = ["7.1.5", "7.2.0", "7.2.22", "8.0.0", "10.0.0"].compactMap(QEMUVersion.init)
        #expect(order == order.sorted() && order.count == 5)
    }

    static func plan(running: String, new: NewSlotQEMU, machine: String?, allowCold: Bool = false) throws -> VMPlan {
        var argv = [Plan.qemu, "-m", "1G"]
        if let machine { argv += ["-machine", machine] }
        let vm = RunningVM(name: "web", socketPath: "/run/hostimg/vms/web.qmp", pid: 9, argv: argv, qemuVersion: QEMUVersion(running))
        return VMPlan(vms: [vm], settings: Plan.settings(allowCold: allowCold, newQEMU: new))
    }

    @Test func aStreamGoesOnlyForward() throws {
        let older = try Self.plan(running: "8.2.0", new: .version(Plan.v72), machine: "pc-q35-7.2")
        #expect(older.entries[0].reasons == [
            "it runs QEMU 8.2.0 and the new slot has QEMU 7.2.0, an older one: a migration stream loads only into the same or a newer QEMU",
        ])
        #expect(older.isBlocked)
        #expect(try !Self.plan(running: "8.2.0", new: .version(Plan.v72), machine: "pc-q35-7.2", allowCold: true).isBlocked)
        #expect(try Self.plan(running: "7.2.0", new: .version(QEMUVersion(major: 8, minor: 2, micro: 1)), machine: "pc-q35-7.2").entries[0].path == .save)
        #expect(try Self.plan(running: "7.2.0", new: .version(QEMUVersion(major: 7, minor: 2, micro: 22)), machine: nil).entries[0].path == .save,
                "a micro release keeps the aliases' meaning")
    }

    @Test func anAliasMachineTypeDoesNotCrossVersions() throws {
        let new = NewSlotQEMU.version(QEMUVersion(major: 8, minor: 2, micro: 0))
        let alias = try Self.plan(running: "7.2.0", new: new, machine: "q35,accel=kvm")
        #expect(alias.entries[0].reasons == [
            "machine type 'q35' is an alias that QEMU 8.2.0 resolves to another machine than 7.2.0 does: "
                + "across QEMU versions the state moves only with a versioned type such as pc-q35-7.2",
        ])
        let none = try Self.plan(running: "7.2.0", new: new, machine: nil)
        #expect(none.entries[0].reasons.first?.hasPrefix("no machine type is given (the default is an alias)") == true)
        #expect(try Self.plan(running: "7.2.0", new: new, machine: "pc-i440fx-7.2").entries[0].path == .save)
        #expect(try Self.plan(running: "7.2.0", new: new, machine: "virt-7.2").entries[0].path == .save)
        #expect(try Self.plan(running: "7.2.0", new: new, machine: "microvm").entries[0].isCold)
    }

    @Test func anAbsentQEMURefusesWhateverThePolicyAndAnUnknownOneIsANote() throws {
        let absent = try Self.plan(running: "7.2.0", new: .absent, machine: "pc-q35-7.2", allowCold: true)
        #expect(absent.isBlocked && absent.refusals == ["the new slot has no QEMU, so none of the 1 VMs could run after the switch"])
        let refusal = try #require(absent.refusal)
        #expect(refusal.contains("nothing was paused") && refusal.contains("the new slot has no QEMU") && !refusal.contains("--allow-cold"))
        let unknown = try Self.plan(running: "7.2.0", new: .unknown, machine: nil)
        #expect(!unknown.isBlocked && unknown.entries[0].path == .save)
        #expect(unknown.notes == ["the new slot's QEMU version is unknown: whether it can load the VMs' state was not checked"])
    }

    @Test func theBlackoutModelsArithmetic() throws {
        var settings = Plan.settings()
        settings.measuredKexecSeconds = 7.5
        let preserve = Plan.vm("a", Plan.fileRAM("/run/hostimg/preserved/a.ram", size: "64G"))
        let onePlan = VMPlan(vms: [preserve], settings: settings)
        #expect(onePlan.entries[0].predictedBlackout == 2 + 7.5, "per-VM cost + kexec, whatever the RAM")
        #expect(onePlan.predictedBlackout == 9.5)
        settings.measuredKexecSeconds = nil
        // 1 GiB and 512 MiB saved together: 1.5 GiB written at 256 MiB/s (6 s) and read at 512 MiB/s (3 s).
        let plan = VMPlan(vms: [preserve, Plan.vm("b", ["-m", "1G"]), Plan.vm("c", ["-m", "512M"]), Plan.vm("d", ["-snapshot"])], settings: settings)
        #expect(plan.entries.map(\.predictedBlackout) == [12, 21, 21, nil])
        #expect(plan.predictedBlackout == 21, "the switch takes as long as its longest VM")
        var model = BlackoutModel()
        model.writeBytesPerSecond = 1_073_741_824
        model.readBytesPerSecond = 2_147_483_648
        #expect(model.streamSeconds(4 << 30) == 6)
        #expect(VMPlan(vms: [], settings: settings).predictedBlackout == nil)
    }
}
