import Foundation
import Testing
import TestSupport

/// The console harness against a shell that plays the guest: what `run` returns, that a
/// deadline is kept and a guest that will not stop is killed. Needs no QEMU and no network.
/// The stand-in's PATH starts with stubs for the commands the harness types that would act
/// on this machine (`dmesg -n`, `stty`, `systemctl poweroff`).
///
/// It runs with `make e2e`, not in the unit run: among the ~1000 tests of `swift test` it
/// intermittently (about one run in three) saw the typed commands never reach the stand-in
/// (`ps`: the shell waiting in `anon_pipe_read`, no error on our side). The reader no longer
/// stops on EINTR, which was one cause; the other is still open (suspected: a descriptor
/// closed twice elsewhere in the parallel run, so the pipe's number is reused). In the e2e
/// run, with fewer programs started beside it, it has passed every time.
@Suite("GuestConsole against a stand-in guest", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["HOSTIMG_NETWORK_TESTS"] == "1", "runs with make e2e (see above)"))
struct GuestConsoleTests {
    /// The stand-in's script, run by /bin/sh (executing a file just written can meet ETXTBSY
    /// while a parallel test forks).
    static func standIn(_ scratch: ScratchDirectory, poweroff: String = "kill -9 $PPID") throws -> String {
        let stubs = scratch.path("stubs")
        try FileManager.default.createDirectory(atPath: stubs, withIntermediateDirectories: true)
        for (name, body) in [("dmesg", ":"), ("stty", ":"), ("systemctl", poweroff)] {
            try "#!/bin/sh\n\(body)\n".write(toFile: stubs + "/" + name, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: stubs + "/" + name)
        }
        let guest = scratch.path("guest")
        try "#!/bin/sh\nexport PATH=\(stubs):$PATH\necho 'guest login: root (automatic login)'\nexec sh 2>&1\n"
            .write(toFile: guest, atomically: true, encoding: .utf8)
        return guest
    }

    @Test func runReturnsOutputAndStatus() async throws {
        let scratch = try ScratchDirectory()
        let console = try GuestConsole(arguments: [try Self.standIn(scratch)], logPath: scratch.path("console.log"), executable: "/bin/sh")
        _ = try await console.loginShell(timeout: .seconds(90))
        let listed = try await console.run("printf 'a\\r\\nb\\n'; echo err >&2; false")
        #expect(listed.output == "a\nb\nerr\n")
        #expect(listed.status == 1)
        // A command that reads stdin gets /dev/null, not the next command.
        #expect(try await console.run("cat; echo after").output == "after\n")
        #expect(try await console.run("exit_code() { return 7; }; exit_code").status == 7)
        try await console.powerOff(timeout: .seconds(30))
        #expect(!console.isRunning)
        #expect(try String(contentsOfFile: scratch.path("console.log"), encoding: .utf8).contains("(automatic login)"))
    }

    @Test func deadlinesAreKeptAndAHungGuestIsKilled() async throws {
        let scratch = try ScratchDirectory()
        let console = try GuestConsole(arguments: [try Self.standIn(scratch)], logPath: scratch.path("console.log"),
                                       executable: "/bin/sh")
        _ = try await console.loginShell(timeout: .seconds(90))
        let start = ContinuousClock.now
        do {
            // The shell spins (as a hung guest would) rather than waiting for a child: QEMU has none.
            _ = try await console.run("while :; do :; done", timeout: .seconds(1))
            Issue.record("a command past its deadline returned")
        } catch let failure as GuestConsole.Failure {
            #expect(failure.message.contains("did not print the end of 'while :; do :; done' within"))
            #expect(failure.description.contains("(automatic login)"), "the failure carries the console tail")
        }
        await #expect(throws: GuestConsole.Failure.self) { try await console.powerOff(timeout: .seconds(1)) }
        #expect(!console.isRunning, "a guest that does not power off is killed at the deadline")
        #expect(ContinuousClock.now - start < .seconds(60))
    }

    @Test func aGuestThatExitsFailsTheWaitAtOnce() async throws {
        let scratch = try ScratchDirectory()
        let console = try GuestConsole(arguments: [], logPath: scratch.path("console.log"), executable: "/bin/true")
        await #expect(throws: GuestConsole.Failure.self) { try await console.wait(for: "never", timeout: .seconds(30)) }
        #expect(console.elapsed < 20)
    }
}
