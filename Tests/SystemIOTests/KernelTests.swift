import Glibc
import Synchronization
import SystemIO
import Testing
import TestSupport

/// The kernel calls are wired through the funnel: a recording fake stands in for the kernel,
/// so nothing here loads a kernel, reboots, loads a module or touches device-mapper.
@Suite struct KernelTests {
    final class Recorder: SystemCallsForwarding, Sendable {
        let base: any SystemCalls = LinuxSystemCalls()
        let calls = Mutex<[String]>([])

        func record(_ call: String) { calls.withLock { $0.append(call) } }

        func kexecFileLoad(kernel: Int32, initrd: Int32?, commandLine: String, flags: UInt) throws(Errno) {
            record("kexec_file_load(\(kernel >= 0), \(initrd.map { $0 >= 0 } ?? false), \(commandLine), \(flags))")
        }

        func reboot(_ command: RebootCommand) throws(Errno) {
            record("reboot(\(command))")
            throw Errno(EPERM)
        }

        func finitModule(_ fd: Int32, parameters: String, flags: Int32) throws(Errno) {
            record("finit_module(\(parameters), \(flags))")
            throw Errno(EEXIST)
        }

        func deviceMapperCreate(control: Int32, name: String, uuid: String?) throws(Errno) -> DeviceNumber {
            record("DM_DEV_CREATE \(name)")
            return DeviceNumber(major: 253, minor: 4)
        }

        func deviceMapperLoad(control: Int32, name: String, target: DeviceMapperTarget) throws(Errno) {
            record("DM_TABLE_LOAD \(name) \(target.type)")
            throw Errno(EINVAL)
        }
    }

    @Test func kexecRebootAndModulesGoThroughTheFunnel() throws {
        let scratch = try ScratchDirectory()
        try SystemIO.replace(scratch.path("vmlinuz"), with: [1, 2, 3])
        let recorder = Recorder()
        try SystemIO.$calls.withValue(recorder) {
            let kernel = try SystemIO.File(path: scratch.path("vmlinuz"), flags: O_RDONLY)
            try SystemIO.kexecFileLoad(kernel: kernel, initrd: nil, commandLine: "root=x")
            try SystemIO.kexecFileLoad(kernel: kernel, initrd: kernel, commandLine: "", flags: .unload)
            let error = try #require(throws: SystemIOError.self) { try SystemIO.reboot(.kexec) }
            #expect(error.description == "reboot(2): cannot kexec: Operation not permitted")
            #expect(try !SystemIO.loadModule(kernel, parameters: "a=1", compressed: true))
            let control = try SystemIO.File(path: scratch.path("vmlinuz"), flags: O_RDONLY)
            #expect(try SystemIO.DeviceMapper.create(control: control, name: "root", uuid: nil) == DeviceNumber(major: 253, minor: 4))
            let target = DeviceMapperTarget(start: 0, length: 8, type: "verity", parameters: "1 ...", readOnly: true)
            let load = try #require(throws: SystemIOError.self) {
                try SystemIO.DeviceMapper.load(control: control, name: "root", target: target)
            }
            #expect(load.path == "root")
            #expect(load.operation == "DM_TABLE_LOAD \"0 8 verity 1 ...\" into")
        }
        #expect(recorder.calls.withLock { $0 } == [
            "kexec_file_load(true, false, root=x, 0)", "kexec_file_load(true, true, , 1)", "reboot(kexec)",
            "finit_module(a=1, 4)", "DM_DEV_CREATE root", "DM_TABLE_LOAD root verity",
        ])
    }
}
