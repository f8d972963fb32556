import Foundation
import Glibc
import Synchronization
import SystemIO
import Testing
import TestSupport

@testable import HostImgInit

/// The init's module loading with a fake finit_module: a module the kernel refuses for absent
/// hardware (crc32c-intel on a CPU without SSE4.2: ENODEV) does not stop the boot; any other
/// refusal does, and a later failure names the skipped module.
@Suite struct ModuleLoadTests {
    /// finit_module answers `refusals[file name]` (an errno) or loads; records what it loaded.
    final class FakeKernel: SystemCallsForwarding, Sendable {
        let base: any SystemCalls = LinuxSystemCalls()
        let refusals: [String: Int32]
        let loaded = Mutex<[String]>([])

        init(refusals: [String: Int32]) { self.refusals = refusals }

        func finitModule(_ fd: Int32, parameters: String, flags: Int32) throws(Errno) {
            let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) ?? ""
            let name = URL(fileURLWithPath: path).lastPathComponent
            if let code = refusals[name] { throw Errno(code) }
            loaded.withLock { $0.append(name) }
        }
    }

    let scratch: ScratchDirectory
    let list: ModuleList

    init() throws {
        scratch = try ScratchDirectory()
        var modules: [ModuleList.Module] = []
        for name in ["crc32c-intel.ko", "crc32c_generic.ko", "libcrc32c.ko", "erofs.ko.xz"] {
            try Data("module \(name)".utf8).write(to: URL(fileURLWithPath: scratch.path(name)))
            modules.append(ModuleList.Module(path: scratch.path(name), parameters: ""))
        }
        list = ModuleList(modules: modules)
    }

    @Test(arguments: [ENODEV, ENXIO, EOPNOTSUPP])
    func aModuleForAbsentHardwareIsSkipped(code: Int32) throws {
        let kernel = FakeKernel(refusals: ["crc32c-intel.ko": code])
        let refused = try SystemIO.$calls.withValue(kernel) { try Boot.load(list) }
        #expect(refused == [ModuleList.Refusal(path: scratch.path("crc32c-intel.ko"), errno: code)])
        #expect(refused.first?.name == "crc32c-intel")
        #expect(kernel.loaded.withLock { $0 } == ["crc32c_generic.ko", "libcrc32c.ko", "erofs.ko.xz"], "the rest still loads")
    }

    @Test func anyOtherRefusalStopsTheBootNamingTheModule() throws {
        let kernel = FakeKernel(refusals: ["libcrc32c.ko": ENOEXEC])
        let error = try #require(throws: InitError.self) { try SystemIO.$calls.withValue(kernel) { try Boot.load(list) } }
        #expect(error == .system(operation: "load module", path: scratch.path("libcrc32c.ko"), errno: ENOEXEC))
        #expect(kernel.loaded.withLock { $0 } == ["crc32c-intel.ko", "crc32c_generic.ko"], "stops at libcrc32c")
    }

    @Test func aLaterFailureNamesTheModuleThatDidNotLoad() throws {
        let kernel = FakeKernel(refusals: ["erofs.ko.xz": ENODEV])
        let refused = try SystemIO.$calls.withValue(kernel) { try Boot.load(list) }
        let mount = InitError.system(operation: "mount erofs /dev/mapper/root on", path: "/sysroot", errno: ENODEV)
        let message = "\(mount)" + ModuleList.Refusal.note(refused)
        #expect(message.contains("earlier the kernel refused to load erofs (No such device (errno 19))"), "\(message)")
        #expect(ModuleList.Refusal.note([]) == "")
    }
}
