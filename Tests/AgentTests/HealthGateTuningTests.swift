import Agent
import Foundation
import HostTuning
import Testing
import TestSupport

/// The health gate with a tuning root: the tuning checks run between systemd's and
/// health.d's, and one failed promise fails the gate.
@Suite struct HealthGateTuningTests {
    /// A gate whose systemctl reports no failed unit, reading the tuning from `host`.
    static func gate(_ host: FakeHost) throws -> HealthGate {
        let systemctl = host.scratch.path("systemctl")
        try HealthGateTests.script(systemctl, "printf ''")
        return HealthGate(systemctl: systemctl, directory: host.scratch.path("health.d"), tuningRoot: host.root)
    }

    static func host(promises: String) throws -> FakeHost {
        let host = try FakeHost()
        try host.healthy()
        try host.write(TuningPromises.path, promises)
        return host
    }

    @Test func theReportHoldsTheTuningChecksAndPassesWhenTheyDo() throws {
        let host = try Self.host(promises: FakeHost.promises.encoded(header: ["test"]))
        let report = try Self.gate(host).run()
        #expect(report.checks.map(\.name) == ["systemd"] + TuningChecksTests.names)
        #expect(report.passed, "\(report.failed.map(\.summary))")
    }

    @Test func oneFailedPromiseFailsTheGate() throws {
        let host = try Self.host(promises: FakeHost.promises.encoded())
        try host.write("/proc/1/status", "Cpus_allowed_list:\t0-3\n")
        let report = try Self.gate(host).run()
        #expect(!report.passed)
        #expect(report.failed.map(\.name) == ["tuning/affinity"])
        #expect(report.failed.first?.summary == "systemd runs on CPUs 0-3, the image promises 0,16,32,48")
    }

    @Test func tuningChecksComeBeforeHealthD() throws {
        let host = try Self.host(promises: "cmdline intel_iommu=on\n")
        let gate = try Self.gate(host)
        try FileManager.default.createDirectory(atPath: gate.directory, withIntermediateDirectories: true)
        try HealthGateTests.script(gate.directory + "/10-ok", "exit 0")
        let report = gate.run()
        #expect(report.checks.map(\.name) == ["systemd", "tuning/cmdline", "health.d/10-ok"])
        #expect(report.passed)
    }

    @Test func anUnreadablePromisesFileFailsTheGate() throws {
        let host = try Self.host(promises: "cmdline intel_iommu=on\nisolate 1-3\n")
        let report = try Self.gate(host).run()
        #expect(report.checks.map(\.name) == ["systemd", "tuning"])
        #expect(report.failed.first?.summary.contains("line 2: unknown promise 'isolate'") == true)
    }

    @Test func noPromisesFileOrNoTuningRootMeansNoTuningChecks() throws {
        let host = try FakeHost()
        try host.healthy()
        var gate = try Self.gate(host)
        #expect(gate.run().checks.map(\.name) == ["systemd"])
        try host.write(TuningPromises.path, "cmdline not-there=1\n")
        #expect(!gate.run().passed)
        gate.tuningRoot = nil
        #expect(gate.run().checks.map(\.name) == ["systemd"])
        #expect(gate.run().passed)
    }
}
