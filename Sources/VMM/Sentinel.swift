import Glibc
import SystemIO

/// The sentinel (AGENT.md, "Sentinel"): a file in the preserved region, written just before
/// the kexec and verified on the new kernel before any VM resumes, so that a reservation
/// that moved, a region the new kernel reused, or a state file that changed never resumes a
/// VM onto garbage.
///
/// It records the switch's transaction id, the region's identity (the `memmap=SIZE!OFFSET`
/// words of the kernel command line) and, per VM, its name and argv, its state file's path,
/// size and SHA-256, and for each guest-RAM file in the region its path, size and a SHA-256
/// over a fixed sample of its pages (`Sentinel+Sample.swift`: at most 64 pages of 4 KiB,
/// whatever the RAM size, so its cost never grows with RAM). A SHA-256 over the whole file
/// ends it. The layout is in `Sentinel+Encoding.swift`.
///
/// Order, for the caller: `stop` every VM and finish its save, then `record` (the RAM sample
/// must be taken after `stop`: a running guest changes its RAM, and the sample would not
/// match after the kexec), then `write`, then sync and kexec. After the kexec, `verify`
/// before any `cont`; a VM whose check fails must never be resumed.
public struct Sentinel: Hashable, Sendable {
    /// Where the sentinel lives; the boot unit formats the region only when it is absent.
    public static let defaultPath = "/run/hostimg/preserved/hostimg-sentinel"
    /// The first 8 bytes of every sentinel.
    public static let magic: [UInt8] = Array("HIMGSNTL".utf8)
    public static let formatVersion: UInt32 = 1

    /// The preserved region's identity: the `SIZE` and `OFFSET` of `memmap=SIZE!OFFSET` on
    /// the kernel command line, as written there.
    public struct Region: Hashable, Sendable {
        public var size: String
        public var offset: String

        public init(size: String, offset: String) {
            self.size = size
            self.offset = offset
        }
    }

    /// A file's path, size and SHA-256 (a VM's state file).
    public struct FileDigest: Hashable, Sendable {
        public var path: String
        public var size: UInt64
        public var sha256: [UInt8]
    }

    /// A guest-RAM file's path, size and the SHA-256 of its sampled pages.
    public struct RAMSample: Hashable, Sendable {
        public var path: String
        public var size: UInt64
        public var pageSize: UInt32
        /// How many pages were sampled (fewer than `sampledPages` for a small file).
        public var pages: UInt32
        public var sha256: [UInt8]
    }

    /// One VM as recorded.
    public struct VM: Hashable, Sendable {
        public var name: String
        public var argv: [String]
        public var state: FileDigest
        public var ram: [RAMSample]
    }

    /// What `record` hashes for one VM.
    public struct Input: Hashable, Sendable {
        public var name: String
        public var argv: [String]
        public var stateFile: String
        /// Its guest-RAM files in the region (`VMPlan.Entry.preservedFiles`).
        public var ramFiles: [String]

        public init(name: String, argv: [String], stateFile: String, ramFiles: [String]) {
            self.name = name
            self.argv = argv
            self.stateFile = stateFile
            self.ramFiles = ramFiles
        }
    }

    public var transaction: String
    public var region: Region
    public var vms: [VM]

    public init(transaction: String, region: Region, vms: [VM]) {
        self.transaction = transaction
        self.region = region
        self.vms = vms
    }

    /// Hashes each VM's state file and samples its RAM files. Call it only once every VM is
    /// stopped and saved.
    public static func record(transaction: String, region: Region, vms: [Input]) throws(SentinelError) -> Sentinel {
        var recorded: [VM] = []
        for vm in vms {
            let state: FileDigest
            do {
                state = try digest(ofFile: vm.stateFile)
            } catch {
                throw .write(path: vm.stateFile, reason: "VM \(vm.name)'s state file: \(error)")
            }
            var ram: [RAMSample] = []
            for path in vm.ramFiles {
                do {
                    ram.append(try sample(ofFile: path))
                } catch {
                    throw .write(path: path, reason: "VM \(vm.name)'s RAM file: \(error)")
                }
            }
            recorded.append(VM(name: vm.name, argv: vm.argv, state: state, ram: ram))
        }
        return Sentinel(transaction: transaction, region: region, vms: recorded)
    }

    /// Writes the sentinel at `path` atomically (temporary file, fsync, rename, fsync of the
    /// directory), mode 0600.
    public func write(to path: String = Sentinel.defaultPath) throws(SentinelError) {
        do {
            try SystemIO.replace(path, with: encoded(), permissions: 0o600)
        } catch {
            throw .write(path: path, reason: "\(error)")
        }
    }

    /// One VM's check after the kexec.
    public struct Check: Hashable, Sendable {
        public var vm: VM
        /// Every mismatch found, each naming the VM; empty when all matched.
        public var failures: [SentinelError]
        /// Whether the VM may resume.
        public var isIntact: Bool { failures.isEmpty }
    }

    /// Reads the sentinel at `path`, checks the file itself (magic, version, length,
    /// checksum), that `region` is the region it was written in and, when given, that it
    /// belongs to `transaction` (any of these failing throws: no VM may resume), then
    /// re-hashes every VM's state file and RAM sample. Returns one check per VM, in order.
    public static func verify(
        path: String = Sentinel.defaultPath, region: Region, transaction: String? = nil
    ) throws(SentinelError) -> [Check] {
        let bytes: [UInt8]
        do {
            bytes = try SystemIO.readFile(path, limit: maximumSize + 1)
        } catch {
            throw .unreadable(path: path, reason: error.description)
        }
        let sentinel = try decode(bytes, path: path)
        guard sentinel.region == region else { throw .regionDiffers(recorded: sentinel.region, running: region) }
        if let transaction, transaction != sentinel.transaction {
            throw .transactionDiffers(recorded: sentinel.transaction, expected: transaction)
        }
        return sentinel.vms.map { Check(vm: $0, failures: check($0)) }
    }

    /// The mismatches of one VM's files against what was recorded.
    static func check(_ vm: VM) -> [SentinelError] {
        var failures: [SentinelError] = []
        do {
            let size = try SystemIO.status(of: vm.state.path).size
            if size != vm.state.size {
                failures.append(.stateFileSize(vm: vm.name, path: vm.state.path, recorded: vm.state.size, found: size))
            } else if try digest(ofFile: vm.state.path).sha256 != vm.state.sha256 {
                failures.append(.stateFileHash(vm: vm.name, path: vm.state.path))
            }
        } catch {
            failures.append(.stateFileUnreadable(vm: vm.name, path: vm.state.path, reason: "\(error)"))
        }
        for recorded in vm.ram {
            do {
                let size = try SystemIO.status(of: recorded.path).size
                if size != recorded.size {
                    failures.append(.ramFileSize(vm: vm.name, path: recorded.path, recorded: recorded.size, found: size))
                } else if try sample(ofFile: recorded.path, pageSize: recorded.pageSize, pages: recorded.pages).sha256
                    != recorded.sha256 {
                    failures.append(.ramSampleHash(vm: vm.name, path: recorded.path))
                }
            } catch {
                failures.append(.ramFileUnreadable(vm: vm.name, path: recorded.path, reason: "\(error)"))
            }
        }
        return failures
    }
}
