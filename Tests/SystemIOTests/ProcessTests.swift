import Glibc
import Synchronization
import SystemIO
import Testing
import TestSupport

/// SystemIO.run against real programs: a script that is busy for a moment (another holder of
/// a descriptor open for writing on it, as a process forked by another thread briefly is) is
/// waited out; one that stays busy fails with ETXTBSY, naming the program.
@Suite struct ProcessTests {
    /// A script at `path`, with the descriptor it was written through still open: while it is,
    /// exec of the file fails with ETXTBSY.
    static func busyScript(_ path: String, _ body: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        try #require(fd >= 0)
        let bytes = Array(("#!/bin/sh\n" + body + "\n").utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        try #require(written == bytes.count)
        return fd
    }

    @Test func aScriptBusyForAMomentRunsOnceItIsFree() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("check")
        let fd = try Self.busyScript(path, "echo ran")
        let closed = Atomic<Bool>(false)
        try SystemIO.startThread(named: "closer") {
            var pause = timespec(tv_sec: 0, tv_nsec: 60_000_000)
            nanosleep(&pause, nil)
            close(fd)
            closed.store(true, ordering: .sequentiallyConsistent)
        }
        let result = try SystemIO.run(path)
        let wasClosed = closed.load(ordering: .sequentiallyConsistent)
        #expect(wasClosed, "the script ran while it was still busy")
        #expect(result.succeeded)
        #expect(result.text == "ran\n")
    }

    @Test func aScriptThatStaysBusyFailsWithTextFileBusy() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("check")
        let fd = try Self.busyScript(path, "echo ran")
        defer { close(fd) }
        let error = #expect(throws: SystemIOError.self) { try SystemIO.run(path) }
        #expect(error?.description.contains("Text file busy") == true)
        #expect(error?.description.contains(path) == true)
    }
}
