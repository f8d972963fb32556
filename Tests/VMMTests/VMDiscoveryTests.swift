import Foundation
import SystemIO
import Testing
import TestSupport
import VMM

/// Discovery over a directory of sockets and a fake /proc.
@Suite struct VMDiscoveryTests {
    struct Refused: Error, CustomStringConvertible {
        var description: String { "Connection refused" }
    }

    /// `vms/` with web.qmp, db.qmp, old.qmp, gone.qmp and files that are not sockets of VMs;
    /// `proc/` with the command lines of processes 100 and 200.
    static func host() throws -> ScratchDirectory {
        let scratch = try ScratchDirectory()
        let manager = FileManager.default
        try manager.createDirectory(atPath: scratch.path("vms"), withIntermediateDirectories: true)
        for name in ["web.qmp", "db.qmp", "old.qmp", "gone.qmp", "notes.txt", ".hidden.qmp", ".qmp"] {
            _ = manager.createFile(atPath: scratch.path("vms/\(name)"), contents: Data())
        }
        for (pid, argv) in [(100, ["qemu-system-x86_64", "-m", "1G", "-name", "web"]), (200, ["qemu-system-x86_64", "-m"])] {
            try manager.createDirectory(atPath: scratch.path("proc/\(pid)"), withIntermediateDirectories: true)
            let bytes: [UInt8] = argv.flatMap { Array($0.utf8) + [0] }
            _ = manager.createFile(atPath: scratch.path("proc/\(pid)/cmdline"), contents: Data(bytes))
        }
        return scratch
    }

    static func peer(_ path: String) throws -> Int32 {
        switch SystemIO.baseName(of: path) {
        case "web.qmp": return 100
        case "db.qmp": return 200
        case "gone.qmp": return 300
        default: throw Refused()
        }
    }

    @Test func socketsPeersAndCommandLines() throws {
        let scratch = try Self.host()
        let vms = try VMDiscovery.discover(directory: scratch.path("vms"), procRoot: scratch.path("proc"), peerPID: Self.peer)
        #expect(vms.map(\.name) == ["db", "gone", "old", "web"])
        let web = vms[3]
        #expect(web.pid == 100 && web.argv == ["qemu-system-x86_64", "-m", "1G", "-name", "web"] && web.problem == nil)
        #expect(web.socketPath == scratch.path("vms/web.qmp"))
        #expect(vms[2].pid == nil && vms[2].problem == "nobody answers on its QMP socket \(scratch.path("vms/old.qmp")) (Connection refused)")
        #expect(vms[1].pid == 300 && vms[1].problem?.hasPrefix("cannot read the command line of process 300: ") == true)
        #expect(vms[0].problem == "cannot read the command line of process 200: -m is the last argument but needs a value")
        let plan = VMPlan(vms: vms, settings: VMPlanTests.settings())
        #expect(plan.entries.map(\.path.word) == ["cold", "cold", "cold", "cold"], "web's QEMU version was never asked")
        #expect(plan.entries[2].reasons == [vms[2].problem].compactMap { $0 })
    }

    @Test func noDirectoryMeansNoVMs() throws {
        let scratch = try ScratchDirectory()
        #expect(try VMDiscovery.discover(directory: scratch.path("absent"), procRoot: scratch.path("proc"), peerPID: Self.peer).isEmpty)
        _ = FileManager.default.createFile(atPath: scratch.path("file"), contents: Data())
        #expect(throws: (any Error).self) {
            try VMDiscovery.discover(directory: scratch.path("file"), procRoot: scratch.path("proc"), peerPID: Self.peer)
        }
    }
}
