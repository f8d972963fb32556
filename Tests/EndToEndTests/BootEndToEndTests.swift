import Crypto
import Foundation
import BuildPipeline
import Manifests
import Testing
import TestSupport

/// Issue 5's acceptance: qemu-dev's image boots under QEMU (TCG, direct kernel boot with the
/// build's vmlinuz, initrd and command line, the disk image as a virtio disk). The initrd's
/// init must check the verity signature, set up dm-verity and reach the host's init (systemd),
/// whose self-test unit reports what the guest sees; the same image with one flipped byte in
/// the root must stop at verity, visibly on the console.
@Suite("boot in QEMU (qemu-dev)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["HOSTIMG_NETWORK_TESTS"] == "1", "set HOSTIMG_NETWORK_TESTS=1 (make e2e): needs deb.debian.org"),
       .enabled(if: QEMUGuest.binary != nil, "qemu-system-x86_64 is not installed"))
struct BootEndToEndTests {
    static let welcome = "Welcome to "

    @Test("the image boots to systemd on a dm-verity root with only the kept modules")
    func bootsVerified() async throws {
        let scratch = try ScratchDirectory()
        let result = try await Self.buildQemuDev(in: scratch, signed: true)
        let boot = try #require(result.report.boot)
        let drivers = try #require(result.report.drivers)
        let image = try #require(result.imagePath)
        #expect(boot.verifiesSignature)
        #expect(boot.commandLine.hasPrefix("roothash=\(result.report.disk?.rootHash ?? "?") "))

        let commandLine = boot.commandLine + " hostimg.selftest=1 hostimg.failure=poweroff"
        let outcome = try QEMUGuest.boot(kernel: boot.vmlinuz, initrd: boot.initrd, commandLine: commandLine, disk: image,
                                         console: scratch.path("console.log"),
                                         markers: ["hostimg-init: ", Self.welcome, "hostimg-selftest: begin"],
                                         until: "hostimg-selftest: end", deadline: 600)
        let facts = Self.facts(outcome.console)
        print("boot: init after \(outcome.seen["hostimg-init: "] ?? -1) s, systemd after \(outcome.seen[Self.welcome] ?? -1) s, self-test after \(outcome.seen["hostimg-selftest: begin"] ?? -1) s; initrd \(boot.initrdBytes) bytes; modules \(drivers.modulesBefore) -> \(drivers.modulesAfter)")
        #expect(outcome.seen[Self.welcome] != nil, "systemd never started:\n\(outcome.console.suffix(3000))")
        #expect(outcome.console.contains("hostimg-selftest: end"), "no self-test report:\n\(outcome.console.suffix(3000))")

        #expect(facts["root-fstype"] == "erofs", "\(facts)")
        #expect(facts["root-dm-name"] == "root", "\(facts)")
        // The dm device sits on the slot's root and verity partitions (vda2 and vda3: slot A).
        #expect(facts["root-dm-slaves"] == "vda2,vda3", "\(facts)")
        #expect(facts["var"] == "/dev/vda8 ext4", "the state partition is not /var: \(facts)")
        #expect(facts["root-read-only"] == "yes")
        #expect(facts["root-writable"] == "no")
        #expect(facts["dm-verity-refcnt"].flatMap { Int($0) }.map { $0 >= 1 } == true, "\(facts["dm-verity-refcnt"] ?? "none")")

        let kept = Set(drivers.decisions.filter(\.kept).map { $0.module.replacingOccurrences(of: "-", with: "_") })
        let present = Set((facts["modules-list"] ?? "").split(separator: ",").map(String.init))
        #expect(present == kept, "in the guest only: \(present.subtracting(kept).sorted()); kept but absent: \(kept.subtracting(present).sorted())")
        // KVM needs VMX/SVM, which QEMU's TCG does not emulate: those two cannot load in this
        // guest; efivarfs needs EFI runtime services, which a direct kernel boot has not (the
        // firmware boot tests mount it).
        let failed = Set((facts["modules-load-failed"] ?? "").split(separator: ",").map(String.init))
        #expect(failed.subtracting(["kvm_intel", "kvm_amd", "efivarfs"]).isEmpty, "kept modules that do not load: \(failed.sorted())")
    }

    @Test("one flipped byte in the root stops the boot at verity, on the console")
    func corruptedRootDoesNotBoot() async throws {
        let scratch = try ScratchDirectory()
        let result = try await Self.buildQemuDev(in: scratch, signed: true)
        let boot = try #require(result.report.boot)
        let disk = try #require(result.report.disk)
        let image = try #require(result.imagePath)
        // A byte of the EROFS superblock: the first block the kernel reads when mounting.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: image))
        try handle.seek(toOffset: disk.partitions[1].offset + 1024 + 40)
        let byte = try handle.read(upToCount: 1) ?? Data([0])
        try handle.seek(toOffset: disk.partitions[1].offset + 1024 + 40)
        handle.write(Data([byte[0] ^ 0xFF]))
        try handle.close()

        let outcome = try QEMUGuest.boot(kernel: boot.vmlinuz, initrd: boot.initrd,
                                         commandLine: boot.commandLine + " hostimg.failure=poweroff", disk: image,
                                         console: scratch.path("console.log"),
                                         markers: ["hostimg-init: FATAL", Self.welcome], until: "hostimg-init: FATAL", deadline: 300)
        #expect(outcome.seen["hostimg-init: FATAL"] != nil, "no FATAL line:\n\(outcome.console.suffix(3000))")
        #expect(outcome.seen[Self.welcome] == nil, "systemd started on a corrupted root")
        #expect(outcome.console.contains("verity"), "the console does not say verity:\n\(outcome.console.suffix(2000))")
    }

    /// On a CPU without SSE4.2 the kernel refuses crc32c-intel (pulled into the initrd for
    /// erofs through libcrc32c) with ENODEV; the init skips it and the generic crc32c serves.
    @Test("a CPU without SSE4.2 boots: crc32c-intel is refused, the init goes on")
    func bootsWithoutSSE42() async throws {
        let scratch = try ScratchDirectory()
        let result = try await Self.buildQemuDev(in: scratch, signed: false)
        let boot = try #require(result.report.boot)
        let image = try #require(result.imagePath)
        let outcome = try QEMUGuest.boot(kernel: boot.vmlinuz, initrd: boot.initrd,
                                         commandLine: boot.commandLine + " hostimg.selftest=1 hostimg.failure=poweroff", disk: image,
                                         console: scratch.path("console.log"),
                                         markers: ["hostimg-init: FATAL", Self.welcome, "hostimg-selftest: begin"],
                                         until: "hostimg-selftest: end", deadline: 600, cpu: "qemu64,-sse4.2")
        print("initrd modules: \(boot.initrdModules.joined(separator: " "))")
        #expect(outcome.seen["hostimg-init: FATAL"] == nil, "the init stopped:\n\(outcome.console.suffix(3000))")
        #expect(outcome.seen[Self.welcome] != nil, "systemd never started:\n\(outcome.console.suffix(3000))")
        if boot.initrdModules.contains("crc32c-intel.ko") {
            #expect(outcome.console.contains("module crc32c-intel not loaded: No such device"), "\(outcome.console.suffix(3000))")
        }
    }

    /// qemu-dev's image in `scratch/out`, signed with a fresh RSA development key or unsigned.
    static func buildQemuDev(in scratch: ScratchDirectory, signed: Bool) async throws -> Pipeline.Result {
        var options = Pipeline.Options(manifest: RootFSEndToEndTests.repository + "/manifests/qemu-dev.yaml",
                                       output: scratch.path("out"), cache: RootFSEndToEndTests.cache)
        options.lockPath = scratch.path("qemu-dev.lock")
        options.target = .bundle
        let signing = signed ? try developmentSigning(in: scratch, commonName: "hostimg development key (boot)") : .unsigned
        options.image = ImageRequest(signing: signing, environment: ProcessInfo.processInfo.environment)
        return try await Pipeline(options).run()
    }

    /// A fresh RSA development key and certificate as `key.pem` and `cert.pem` in `scratch`
    /// (RSA: what Secure Boot firmware verifies).
    static func developmentSigning(in scratch: ScratchDirectory, commonName: String) throws -> ImageRequest.Signing {
        let identity = try DevelopmentIdentity.generate(commonName: commonName, validityDays: 2, keyType: .rsa2048)
        try identity.privateKeyPEM.write(toFile: scratch.path("key.pem"), atomically: true, encoding: .utf8)
        try identity.certificatePEM.write(toFile: scratch.path("cert.pem"), atomically: true, encoding: .utf8)
        return .files(key: scratch.path("key.pem"), certificate: scratch.path("cert.pem"))
    }

    /// "hostimg-selftest: key=value" lines → [key: value].
    static func facts(_ console: String) -> [String: String] {
        var facts: [String: String] = [:]
        for line in console.split(whereSeparator: \.isNewline) {
            guard let range = line.range(of: "hostimg-selftest: ") else { continue }
            let fact = line[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
            guard let equals = fact.firstIndex(of: "=") else { continue }
            facts[String(fact[..<equals])] = String(fact[fact.index(after: equals)...])
        }
        return facts
    }
}
