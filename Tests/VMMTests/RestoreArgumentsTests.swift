import Foundation
import Testing
import TestSupport
@testable import VMM

@Suite("Restore command lines and state-file URIs") struct RestoreArgumentsTests {
    @Test("-incoming defer is appended; an earlier -incoming and -daemonize go")
    func incomingArguments() throws {
        let plain = ["qemu-system-x86_64", "-m", "16", "-qmp", "unix:/run/a.qmp,server=on,wait=off"]
        #expect(try VMM.incomingArguments(plain) == plain + ["-incoming", "defer"])
        let restoredBefore = plain + ["-incoming", "defer"]
        #expect(try VMM.incomingArguments(restoredBefore) == plain + ["-incoming", "defer"])
        let busy = ["/usr/bin/qemu-system-x86_64", "-daemonize", "-m", "16", "--incoming", "tcp:0:4444", "-S", "--daemonize"]
        #expect(try VMM.incomingArguments(busy) == ["/usr/bin/qemu-system-x86_64", "-m", "16", "-S", "-incoming", "defer"])
        #expect(throws: VMMError.Reason.self) { try VMM.incomingArguments([]) }
    }

    @Test("state paths are quoted so /bin/sh reads them back unchanged, whatever they hold",
          arguments: ["/run/hostimg/preserved/web.state", "/tmp/a b/it's \"$HOME\" `id` \\ ;|&*?[x].state", "/'", "/''"])
    func quotedForTheShell(path: String) throws {
        let quoted = try VMM.shellQuoted(path)
        let echoed = try Tools.run("/bin/sh", ["-c", "printf '%s' \(quoted)"])
        #expect(echoed.status == 0)
        #expect(echoed.stdoutText == path)
        #expect(try VMM.saveURI(path) == "exec:cat > \(try VMM.shellQuoted(path + ".partial")) && mv -f \(try VMM.shellQuoted(path + ".partial")) \(quoted)")
        #expect(try VMM.loadURI(path) == "exec:cat \(quoted)")
    }

    @Test("relative paths and control characters are refused", arguments: ["vm.state", "", "/a\nb", "/a\u{7F}"])
    func refusedPaths(path: String) {
        #expect(throws: VMMError.Reason.self) { try VMM.shellQuoted(path) }
    }
}
