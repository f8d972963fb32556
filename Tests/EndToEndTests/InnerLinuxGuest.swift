import Foundation
import Testing
import TestSupport

/// The small Linux inner guest of the VM-preserving switch test: the image's own kernel and an
/// initrd of Debian's static busybox whose /init prints the guest's boot_id and uptime every
/// two seconds to its serial port, a file the inner QEMU appends to (so the relaunched QEMU
/// adds to the same file). A guest that was resumed, not rebooted, keeps its boot_id and its
/// uptime goes on.
enum InnerLinuxGuest {
    static let name = "linux"
    static let directory = "/var/lib/hostimg/linux"
    static let console = directory + "/console.log"
    static let ram = "/run/hostimg/preserved/linux.ram"

    /// One line the guest printed.
    struct Reading: Equatable, CustomStringConvertible {
        var bootID: String
        var uptime: Double
        var description: String { "boot_id \(bootID), uptime \(uptime) s" }
    }

    static let initScript = """
        #!/bin/busybox sh
        /bin/busybox mount -t proc proc /proc
        /bin/busybox mount -t devtmpfs dev /dev
        while :; do
          echo "inner boot_id $(/bin/busybox cat /proc/sys/kernel/random/boot_id) uptime $(/bin/busybox cut -d' ' -f1 /proc/uptime)" > /dev/ttyS0
          /bin/busybox sleep 2
        done

        """

    /// A raw disk (a tar file padded to a MiB) holding `vmlinuz` (the image's kernel) and
    /// `initrd.cpio` (newc, by bsdtar), for the guest to unpack with tar.
    static func payloadDisk(kernel: String, in scratch: ScratchDirectory) throws -> String {
        let busybox = try #require(["/bin/busybox", "/usr/bin/busybox"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                   "apt-get install busybox-static")
        let root = scratch.path("inner-root")
        for directory in ["bin", "proc", "dev"] {
            try FileManager.default.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: busybox, toPath: root + "/bin/busybox")
        try initScript.write(toFile: root + "/init", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root + "/init")
        let payload = scratch.path("inner-payload")
        try FileManager.default.createDirectory(atPath: payload, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: kernel, toPath: payload + "/vmlinuz")
        try bsdtar(["--format", "newc", "--uid", "0", "--gid", "0", "-cf", payload + "/initrd.cpio", "-C", root, "."])
        let disk = scratch.path("inner-payload.tar")
        try bsdtar(["-cf", disk, "-C", payload, "vmlinuz", "initrd.cpio"])
        try SwitchVariants.pad(disk)
        return disk
    }

    static func bsdtar(_ arguments: [String]) throws {
        let result = try Tools.run(try #require(Tools.find("bsdtar"), "apt-get install libarchive-tools"), arguments)
        try #require(result.status == 0, "bsdtar \(arguments.joined(separator: " ")): \(result.stderr)")
    }

    /// Unpacks the payload from `device` and starts the inner QEMU (128 MiB of RAM in the
    /// preserved region, QMP at /run/hostimg/vms/linux.qmp), daemonized like a launcher would.
    static func launch(from device: String) -> String {
        "mkdir -p \(directory) /run/hostimg/vms && tar -xf \(device) -C \(directory) && "
            + "qemu-system-x86_64 -accel tcg -machine pc-i440fx-7.2 -m 128 -display none -nodefaults "
            + "-object memory-backend-file,id=ram,size=128M,mem-path=\(ram),share=on -machine memory-backend=ram "
            + "-kernel \(directory)/vmlinuz -initrd \(directory)/initrd.cpio -append 'console=ttyS0 quiet panic=-1' "
            + "-chardev file,id=serial0,path=\(console),append=on -serial chardev:serial0 "
            + "-qmp unix:/run/hostimg/vms/\(name).qmp,server=on,wait=off -daemonize"
    }

    /// The guest's last line once it is newer than `after` (its uptime larger): under nested
    /// TCG the kernel takes a minute or two to reach /init.
    static func reading(_ guest: GuestConsole, after: Reading? = nil, timeout: Duration = .seconds(600)) async throws -> Reading? {
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            last = try await guest.run("tail -n 1 \(console) 2>/dev/null").output
            if let match = last.firstMatch(of: /boot_id ([0-9a-f-]{36}) uptime ([0-9.]+)/), let uptime = Double(match.2) {
                let reading = Reading(bootID: String(match.1), uptime: uptime)
                if after.map({ reading.uptime > $0.uptime || reading.bootID != $0.bootID }) ?? true { return reading }
            }
            try await Task.sleep(for: .seconds(5))
        }
        Issue.record("the inner Linux guest printed nothing new\(after.map { " after \($0)" } ?? "") in \(timeout): \(last)")
        return nil
    }
}
