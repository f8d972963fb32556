import Foundation
import QMP
import SystemIO
import Testing
import TestSupport
import VMM

/// Save and restore against a real QEMU 7.2 under TCG, with the counter guest: RAM shared
/// from a file is kept in place, only the device state goes through the state file.
/// One QEMU at a time (serialized): the machine has two cores.
@Suite("VM save and restore with a real QEMU", .serialized,
       .enabled(if: CounterVM.qemu != nil, "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"))
struct SaveRestoreTests {
    @Test("save → QEMU exits → restore from the same argv: the counter goes on, the state file is small, the pid changed")
    func saveAndRestoreKeepTheCounter() async throws {
        let vm = try CounterVM()
        let ram = vm.newRAMFile()
        let original = vm.arguments(ram: ram)
        let (process, client) = try await vm.start(original)
        defer { try? process.kill() }
        #expect(client.version >= QMP.Version(major: 7, minor: 2, micro: 0))
        #expect(client.peerProcess.pid == process.pid)
        let first = try await CounterVM.counting(client)
        try await Task.sleep(for: .milliseconds(300))
        let beforeSave = try await CounterVM.counter(client)
        #expect(beforeSave > first, "the guest counts while it runs")

        let statePath = vm.directory.path("vm.state")
        let saved = try await VMM.save(client, to: statePath)
        #expect(saved.pid == process.pid)
        #expect(process.hasExited, "QEMU is gone after the save")
        #expect(!FileManager.default.fileExists(atPath: statePath + ".partial"))
        let fileSize = try #require(try FileManager.default.attributesOfItem(atPath: statePath)[.size] as? UInt64)
        #expect(saved.stateBytes == fileSize)
        // Device state, BIOS and option ROMs only: far below the 16 MiB of guest RAM, which
        // stayed in its shared file (x-ignore-shared).
        #expect(saved.stateBytes > 0 && saved.stateBytes < 2 << 20, "state file of \(saved.stateBytes) bytes")
        #expect(saved.stopRequestedAt <= saved.stoppedAt && saved.stoppedAt <= saved.savedAt && saved.savedAt <= saved.exitedAt)
        // The counter as the paused guest left it, read from the RAM file itself.
        let frozen = try CounterVM.counter(inRAMFile: ram)
        #expect(frozen >= beforeSave)

        var request = VMM.RestoreRequest(arguments: original, qmpSocket: vm.socket, statePath: statePath, logPath: vm.log)
        request.environment = SystemIO.programEnvironment
        let restored = try await VMM.restore(request)
        defer { try? restored.process.kill() }
        let report = restored.report
        #expect(report.pid != process.pid, "a new QEMU runs the VM")
        #expect(restored.client.peerProcess.pid == report.pid)
        #expect(report.arguments == original + ["-incoming", "defer"])
        #expect(report.spawnedAt <= report.connectedAt && report.connectedAt <= report.loadedAt && report.loadedAt <= report.resumedAt)
        let resumed = try await CounterVM.counter(restored.client)
        #expect(resumed >= frozen, "no reset: \(resumed) after resume, \(frozen) when saved")
        try await Task.sleep(for: .milliseconds(300))
        let later = try await CounterVM.counter(restored.client)
        #expect(later > resumed, "the restored guest counts on")
        let status = try await restored.client.execute("query-status")
        #expect(status["status"]?.string == "running")
        print("save: stop \(saved.stoppedAt.duration(since: saved.stopRequestedAt)), state \(saved.savedAt.duration(since: saved.stoppedAt)) for \(saved.stateBytes) bytes; restore: start \(report.connectedAt.duration(since: report.spawnedAt)), load \(report.loadedAt.duration(since: report.connectedAt)), resume \(report.resumedAt.duration(since: report.loadedAt))")

        try await restored.client.execute("quit")
        #expect(await restored.process.waitForExit(timeout: .seconds(10)))
        #expect(restored.process.termination == .exited(0))
    }

    @Test("restoring onto a fresh, zeroed RAM file fails: QEMU refuses the device state and exits")
    func freshRAMIsRefused() async throws {
        let vm = try CounterVM()
        let ram = vm.newRAMFile()
        let (process, client) = try await vm.start(vm.arguments(ram: ram))
        defer { try? process.kill() }
        _ = try await CounterVM.counting(client)
        let statePath = vm.directory.path("vm.state")
        _ = try await VMM.save(client, to: statePath)
        #expect(try CounterVM.counter(inRAMFile: ram) > 0)

        // The same VM, but its RAM backend maps a new file, which QEMU creates full of zeros.
        // What QEMU 7.2 does (observed): with x-ignore-shared the stream holds no RAM pages,
        // and the RAM blocks' names and sizes match, but the device state of kvm-tpr-opt (the
        // TPR-patching vAPIC, present under TCG too) is checked on load against its option
        // ROM, which SeaBIOS copied into guest RAM at boot; in zeroed RAM it is not there,
        // the load fails ("error while loading state ... 'kvm-tpr-opt'", "load of migration
        // failed: Operation not permitted") and QEMU exits with status 1. A guest whose
        // devices check nothing in RAM would resume on zeros: that is what the preserved
        // region's sentinel is for, not this.
        let fresh = vm.newRAMFile()
        let request = VMM.RestoreRequest(arguments: vm.arguments(ram: fresh), qmpSocket: vm.socket, statePath: statePath, logPath: vm.log)
        await #expect {
            try await VMM.restore(request)
        } throws: { error in
            guard let error = error as? VMMError, case .exited(let how) = error.reason else { return false }
            return error.vm == vm.socket && error.step.contains("load the device state from \(statePath)")
                && how.contains("exited with status 1") && how.contains(vm.log)
        }
        #expect(vm.logText.contains("load of migration failed"), "QEMU's log: \(vm.logText)")
        #expect(vm.logText.contains("kvm-tpr-opt"))
        #expect(try CounterVM.counter(inRAMFile: fresh) == 0, "nothing wrote the fresh RAM")
    }

    @Test("a save that cannot write its file fails naming the VM and the step, and resumes the VM")
    func failedSaveResumes() async throws {
        let vm = try CounterVM()
        let (process, client) = try await vm.start(vm.arguments(ram: vm.newRAMFile()))
        defer { try? process.kill() }
        _ = try await CounterVM.counting(client)
        let statePath = vm.directory.path("missing-directory/vm.state")
        var options = VMM.SaveOptions()
        options.timing.runState = .seconds(2)
        await #expect {
            try await VMM.save(client, to: statePath, options: options)
        } throws: { error in
            // cat cannot open its file, so QEMU's write into the pipe fails.
            guard let error = error as? VMMError, case .migration("failed", let detail) = error.reason else { return false }
            return error.vm == vm.socket && error.resumed && error.step.contains(statePath) && detail.contains("Broken pipe")
        }
        let status = try await client.execute("query-status")
        #expect(status["status"]?.string == "running")
        let before = try await CounterVM.counter(client)
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await CounterVM.counter(client) > before, "the VM runs on")
        #expect(!process.hasExited)
        try await client.execute("quit")
        #expect(await process.waitForExit(timeout: .seconds(10)))
    }

    @Test("a restore whose QEMU cannot start says how it ended, without waiting out the time-out")
    func restoreOfBrokenArguments() async throws {
        let vm = try CounterVM()
        let statePath = vm.directory.path("vm.state")
        try Data([0]).write(to: URL(fileURLWithPath: statePath))
        let arguments = vm.arguments(ram: vm.newRAMFile()) + ["-no-such-option"]
        let started = ContinuousClock.now
        await #expect {
            try await VMM.restore(VMM.RestoreRequest(arguments: arguments, qmpSocket: vm.socket, statePath: statePath, logPath: vm.log))
        } throws: { error in
            guard let error = error as? VMMError, case .exited(let how) = error.reason else { return false }
            return error.vm == vm.socket && how.contains("exited with status 1") && how.contains(vm.log)
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(vm.logText.contains("no-such-option"))
    }
}
