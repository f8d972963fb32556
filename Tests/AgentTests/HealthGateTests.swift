import Agent
import Foundation
import SystemIO
import Testing
import TestSupport

/// The health gate with real processes: a stand-in systemctl (a shell script printing what
/// `systemctl list-units --state=failed --plain --no-legend` prints) and health.d scripts.
@Suite struct HealthGateTests {
    static func script(_ path: String, _ body: String) throws {
        try Script.write(path, body)
    }

    static func gate(_ scratch: ScratchDirectory, failed: String = "", checks: [String: String] = [:]) throws -> HealthGate {
        try script(scratch.path("systemctl"), "printf '\(failed)'")
        let directory = scratch.path("health.d")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, body) in checks { try script(directory + "/" + name, body) }
        return HealthGate(systemctl: scratch.path("systemctl"), directory: directory)
    }

    @Test func aHealthyHostPasses() throws {
        let scratch = try ScratchDirectory()
        let report = try Self.gate(scratch, checks: ["10-ok": "exit 0", "20-ok": "echo fine"]).run()
        #expect(report.passed)
        #expect(report.checks.map(\.name) == ["systemd", "health.d/10-ok", "health.d/20-ok"])
    }

    @Test func aFailedUnitFailsTheGateAndIsNamed() throws {
        let scratch = try ScratchDirectory()
        let listing = "ssh.service loaded failed failed OpenBSD Secure Shell server\\n● foo.mount loaded failed failed Foo\\n"
        let report = try Self.gate(scratch, failed: listing).run()
        #expect(!report.passed)
        #expect(report.failed.first?.summary == "degraded: 2 failed unit(s): ssh.service, foo.mount")
    }

    @Test func theGatesOwnEarlierFailureIsNotCounted() throws {
        let scratch = try ScratchDirectory()
        let report = try Self.gate(scratch, failed: "hostimg-health.service loaded failed failed x\\n").run()
        #expect(report.passed)
    }

    @Test func everyCheckRunsAndEachFailureIsReported() throws {
        let scratch = try ScratchDirectory()
        let report = try Self.gate(scratch, checks: ["10-bad": "echo disk full; exit 3", "20-ok": "exit 0", "30-killed": "kill -9 $$"]).run()
        #expect(!report.passed)
        #expect(report.checks.count == 4)
        let failed = report.failed.map(\.name)
        #expect(failed == ["health.d/10-bad", "health.d/30-killed"])
        #expect(report.failed.first?.summary.hasSuffix("exited with status 3") == true)
        #expect(report.failed.first?.output == "disk full\n")
        #expect(report.failed.last?.summary.hasSuffix("was killed by signal 9") == true)
    }

    @Test func nonExecutablesAndBackupsAreSkipped() throws {
        let scratch = try ScratchDirectory()
        let gate = try Self.gate(scratch, checks: ["10-ok": "exit 0", "20-old~": "exit 1", ".hidden": "exit 1"])
        try "exit 1\n".write(toFile: gate.directory + "/README", atomically: true, encoding: .utf8)
        #expect(gate.run().checks.map(\.name) == ["systemd", "health.d/10-ok"])
    }

    @Test func systemctlThatCannotAnswerFailsTheGate() throws {
        let scratch = try ScratchDirectory()
        var gate = try Self.gate(scratch)
        gate.systemctl = scratch.path("missing-systemctl")
        let report = gate.run()
        #expect(!report.passed)
        #expect(report.failed.first?.summary.contains("cannot ask systemd") == true)
        try Self.script(scratch.path("broken"), "echo 'Failed to connect to bus'; exit 1")
        gate.systemctl = scratch.path("broken")
        #expect(gate.run().failed.first?.summary == "systemctl exited with status 1")
    }

    @Test func noHealthDirectoryMeansOnlySystemd() throws {
        let scratch = try ScratchDirectory()
        var gate = try Self.gate(scratch)
        gate.directory = scratch.path("absent")
        #expect(gate.run().checks.map(\.name) == ["systemd"])
    }
}
