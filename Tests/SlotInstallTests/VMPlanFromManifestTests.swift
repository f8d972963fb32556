import Bundle
import Foundation
@testable import HostSwitch
import SystemIO
import Testing
import TestSupport
import VMM

/// The plan against the bundle's signed manifest (its slot's command line and QEMU), with a
/// real QEMU running a preserved VM: a reservation that differs from the running slot's, or a
/// QEMU the VM's stream cannot reach, refuses the switch in phase 0 (`--plan` included) with
/// nothing written and the VM still running; the same region and QEMU plan `preserve`.
/// Part of `VMSwitchTests` (serialized): one spinning QEMU guest at a time, not two, on a
/// machine of two cores.
extension VMSwitchTests {
    /// What one `--plan` run gave: its outcome or error, and whether it wrote or loaded anything.
    struct PlanRun: Sendable {
        var planned: String?
        var error: String?
        var wroteOrLoaded: Bool
        var manifestSays: (commandLine: String?, qemu: String?)
    }

    static func planAgainstManifest(_ vms: VMSwitch.Options, bundleReserves memmap: String, qemu: String?) throws -> PlanRun {
        let host = try HostFixture(slotFacts: (commandLine: memmap, qemu: qemu))
        host.actions.commandLineExtra = " memmap=1G!4G"
        var options = host.options()
        options.planOnly = true
        options.vms = vms
        let bundle = try UpdateBundle.Reader(path: host.base.bundle)
        var run = PlanRun(wroteOrLoaded: false, manifestSays: (bundle.manifest.commandLine, bundle.manifest.qemuVersion))
        do {
            let outcome = try HostSwitch(options: options, host: host.actions, report: { _ in }).run(bundle)
            if case let .planned(text, json) = outcome, json != nil { run.planned = text } else { run.error = "\(outcome)" }
        } catch {
            run.error = "\(error)"
        }
        run.wroteOrLoaded = !host.actions.loaded.isEmpty || FileManager.default.fileExists(atPath: host.journal)
        return run
    }

    @Test func aChangedRegionOrAnUnreachableQEMURefusesAtPlanTime() async throws {
        let setup = try VMSwitchTests.Setup()
        let first = try VMM.QEMUProcess.spawn(executable: setup.arguments[0], arguments: setup.arguments,
                                              environment: SystemIO.programEnvironment, logPath: setup.scratch.path("first.log"))
        defer { try? first.kill() }
        let before = try await setup.counter()
        let running = "1:7.2+dfsg-7+deb12u18"
        let cases: [(memmap: String, qemu: String?, refusal: String?)] = [
            ("memmap=1G!4G", running, nil),
            ("memmap=2G!4G", running, "the new slot reserves memmap=2G!4G and this one memmap=1G!4G"),
            ("quiet", running, "the new slot reserves no memmap="),
            ("memmap=1G!4G", "1:6.2+dfsg-2", "6.2"),
            ("memmap=1G!4G", nil, "QEMU"),
        ]
        let vms = setup.options
        for (memmap, qemu, refusal) in cases {
            let run = try await VMSwitchTests.offPool { try Self.planAgainstManifest(vms, bundleReserves: memmap, qemu: qemu) }
            let label = "\(memmap), QEMU \(qemu ?? "none")"
            #expect(run.manifestSays.commandLine?.hasSuffix(memmap) == true && run.manifestSays.qemu == qemu, "\(label)")
            if let refusal {
                #expect(run.error?.contains("nothing was written") == true && run.error?.contains(refusal) == true,
                        "\(label): \(run.error ?? run.planned ?? "")")
            } else {
                #expect(run.planned?.contains("preserve") == true, "\(label): \(run.error ?? run.planned ?? "")")
            }
            #expect(!run.wroteOrLoaded, "\(label)")
        }
        let after = try await setup.counter()
        #expect(after.pid == before.pid && after.value > before.value, "the VM was paused or restarted: \(before) → \(after)")
    }
}
