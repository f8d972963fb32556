import ByteCodec
import Slots
import Crypto
import DMVerity
import GPT
import Glibc

/// The boot sequence, step by step (see the module documentation in HostImgInit.swift).
public enum Boot {
    /// Run the whole sequence as PID 1; ends in execv of the real init or the failure action.
    /// Outside PID 1 it refuses with status 2: it mounts over /dev, /proc and /sys and ends
    /// by replacing the root, which it must never do outside an initrd.
    public static func main(arguments: [String]) -> Never {
        guard getpid() == 1 else {
            let message = "hostimg-init: this is the initrd's /init and runs only as PID 1 (the kernel starts it); it does nothing here\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            exit(2)
        }
        var action = FailureAction.halt
        var refused: [ModuleList.Refusal] = []
        do {
            try mountKernelFileSystems()
            let commandLine = KernelCommandLine(try System.readText("/proc/cmdline"))
            action = BootOptions.failureAction(commandLine)
            let options = try BootOptions(commandLine)
            refused = try loadModules()
            let slot = try SlotFinder.wait(rootHash: options.rootHash, rootHashBytes: options.rootHashBytes, timeoutSeconds: options.timeoutSeconds)
            Console.line("found root \(slot.root), verity \(slot.verity), signature \(slot.signature), state \(slot.state ?? "none") on \(slot.disk)")
            try checkSignature(slot, rootHash: options.rootHash)
            let device = try setUpVerity(slot, rootHash: options.rootHash)
            try mountRoot(device)
            try mountState(slot, options)
            try switchRoot(initPath: options.initPath, arguments: Array(arguments.dropFirst()))
        } catch {
            Console.fatal("\(error)" + ModuleList.Refusal.note(refused))
        }
        Console.fail(action)
    }

    /// Step 1: /dev first, so the console exists before anything is printed.
    static func mountKernelFileSystems() throws {
        let flags = UInt(MS_NOSUID | MS_NOEXEC)
        var devError: Error? = nil
        do { try System.mount("devtmpfs", "/dev", type: "devtmpfs", flags: UInt(MS_NOSUID), data: "mode=0755") } catch { devError = error }
        Console.attach()
        if let devError { throw devError }
        try System.mount("proc", "/proc", type: "proc", flags: flags | UInt(MS_NODEV))
        try System.mount("sysfs", "/sys", type: "sysfs", flags: flags | UInt(MS_NODEV))
        try System.mount("tmpfs", "/run", type: "tmpfs", flags: UInt(MS_NOSUID | MS_NODEV), data: "mode=0755")
        Console.line("mounted /dev (devtmpfs), /proc, /sys, /run")
    }

    /// Step 2; returns the modules refused for absent hardware.
    static func loadModules() throws -> [ModuleList.Refusal] {
        guard System.exists(HostImgInit.moduleListPath) else {
            Console.line("no \(HostImgInit.moduleListPath): loading no modules")
            return []
        }
        return try load(try ModuleList(parsing: try System.readText(HostImgInit.moduleListPath)))
    }

    /// Loads the modules in order. One the kernel refuses for absent hardware (a CPU
    /// without SSE4.2 refuses crc32c-intel with ENODEV, while the generic crc32c serves)
    /// is skipped with a line on the console; any other failure stops the boot.
    static func load(_ list: ModuleList) throws -> [ModuleList.Refusal] {
        var loaded = 0
        var present = 0
        var refused: [ModuleList.Refusal] = []
        for module in list.modules {
            switch try System.loadModule(module) {
            case .loaded: loaded += 1
            case .alreadyLoaded: present += 1
            case .refused(let refusal):
                refused.append(refusal)
                Console.line("module \(refusal.name) not loaded: \(System.errorText(refusal.errno)): the hardware it drives is absent; going on without it")
            }
        }
        Console.line("loaded \(loaded) modules (\(present) already present, \(refused.count) refused for absent hardware)")
        return refused
    }

    /// Step 4.
    static func checkSignature(_ slot: SlotDevices, rootHash: String) throws {
        guard System.exists(HostImgInit.certificatePath) else {
            Console.line("WARNING: no \(HostImgInit.certificatePath) in the initrd: the root hash signature is NOT checked, any root hash on the command line boots")
            return
        }
        let certificate: Certificate
        do {
            certificate = try Certificate(der: try System.readFile(HostImgInit.certificatePath, limit: 1 << 20))
        } catch {
            throw InitError.signature("\(HostImgInit.certificatePath) is not a DER certificate: \(error)")
        }
        let path = try BlockDevices.node(slot.signature)
        let size = Int(min(try BlockDevices.sectors(slot.signature) * 512, 1 << 20))
        let content = try System.File(path: path).read(at: 0, count: size)
        let signature: VeritySignature
        do {
            guard let found = try VeritySignature.decode(content) else {
                throw InitError.signature("\(path) is all zero: the image was built --unsigned and never signed (hostimg sign), but this initrd trusts \(certificate.subject)")
            }
            signature = found
        } catch let error as InitError {
            throw error
        } catch {
            throw InitError.signature("\(path) holds no readable signature: \(error)")
        }
        do {
            try signature.verify(rootHash: Hex.decode(rootHash) ?? [], trusting: certificate)
        } catch {
            throw InitError.signature("\(path): \(error)")
        }
        Console.line("root hash signature on \(slot.signature) verified: signed by \(certificate.subject) (sha256 \(certificate.sha256Fingerprint.prefix(16))…)")
    }

    /// Step 5.
    static func setUpVerity(_ slot: SlotDevices, rootHash: String) throws -> DeviceMapper.Device {
        let rootPath = try BlockDevices.node(slot.root)
        let verityPath = try BlockDevices.node(slot.verity)
        let superblock: DMVerity.SuperBlock
        do {
            superblock = try DMVerity.SuperBlock(decoding: try System.File(path: verityPath).read(at: 0, count: DMVerity.SuperBlock.size))
        } catch let error as InitError {
            throw error
        } catch {
            throw InitError.veritySuperblock(device: verityPath, "\(error)")
        }
        let available = try BlockDevices.sectors(slot.root)
        guard superblock.sectors <= available else {
            throw InitError.veritySuperblock(device: verityPath, "\(superblock.dataBlocks) data blocks need \(superblock.sectors) sectors, but \(rootPath) has \(available)")
        }
        let parameters = superblock.targetArguments(dataDevice: rootPath, hashDevice: verityPath, rootHash: Hex.decode(rootHash) ?? [])
        let device = try DeviceMapper.create(name: "root", uuid: nil, sectors: superblock.sectors, target: "verity", parameters: parameters)
        try DeviceMapper.ensureNodes(device)
        Console.line("dm-verity \(device.mapperPath) (\(device.kernelPath)): \(superblock.dataBlocks) data blocks on \(slot.root), hash tree on \(slot.verity), salt \(Hex.encode(superblock.salt).prefix(16))…")
        return device
    }

    /// Step 6.
    static func mountRoot(_ device: DeviceMapper.Device) throws {
        try System.mount(device.mapperPath, HostImgInit.sysroot, type: "erofs", flags: UInt(MS_RDONLY))
        Console.line("mounted \(device.mapperPath) (erofs, read-only) at \(HostImgInit.sysroot)")
    }

    /// Step 7.
    static func mountState(_ slot: SlotDevices, _ options: BootOptions) throws {
        if options.ignoreState {
            Console.line("state partition ignored (hostimg.state=ignore)")
            return
        }
        guard let state = slot.state else {
            Console.line("WARNING: no state partition (type \(GPT.PartitionType.variableData)) on \(slot.disk): /var is the read-only root's")
            return
        }
        let target = HostImgInit.sysroot + "/var"
        guard System.isDirectory(target) else {
            Console.line("WARNING: the root has no /var directory: state partition \(state) not mounted")
            return
        }
        let path = try BlockDevices.node(state)
        // ext2/3/4 superblock magic: s_magic 0xEF53 (little-endian) at byte 1024 + 56.
        let magic = try System.File(path: path).read(at: 1080, count: 2)
        var formatted = false
        if magic != [0x53, 0xEF] {
            // The verified root's own mke2fs, chrooted: the root is dm-verity-checked and
            // mounted by now, so its tool is as trusted as the init it switches into.
            var info = stat()
            guard lstat(HostImgInit.sysroot + HostImgInit.mke2fsPath, &info) == 0 else {
                throw InitError.state("\(path) has no file system and the root has no \(HostImgInit.mke2fsPath) to format it (add e2fsprogs to the image)")
            }
            try System.runInRoot(HostImgInit.sysroot, HostImgInit.mke2fsPath, ["-q", "-t", "ext4", "-L", "state", path])
            formatted = true
        }
        try System.mount(path, target, type: "ext4", flags: UInt(MS_NOSUID | MS_NODEV))
        Console.line("state \(state): \(formatted ? "formatted ext4 (first boot), " : "")mounted at \(target)")
    }

    /// Step 8: the switch_root. Everything is checked before the first mount moves.
    static func switchRoot(initPath: String, arguments: [String]) throws {
        let root = HostImgInit.sysroot
        var info = stat()
        guard lstat(root + initPath, &info) == 0 else { throw System.fail("find the init", root + initPath) }
        let moves = ["/dev", "/proc", "/sys", "/run"]
        for mount in moves where !System.isDirectory(root + mount) {
            throw InitError.system(operation: "move \(mount) (the root has no such directory)", path: root + mount, errno: ENOENT)
        }
        Console.line("switching root to \(root), executing \(initPath)")
        for mount in moves { try System.moveMount(mount, root + mount) }
        guard chdir(root) == 0 else { throw System.fail("chdir", root) }
        InitramfsCleanup.removeContents()
        try System.moveMount(".", "/")
        guard chroot(".") == 0 else { throw System.fail("chroot", root) }
        guard chdir("/") == 0 else { throw System.fail("chdir", "/") }
        var argv: [UnsafeMutablePointer<CChar>?] = ([initPath] + arguments).map { strdup($0) }
        argv.append(nil)
        execv(initPath, &argv)
        throw System.fail("execute", initPath)
    }
}
