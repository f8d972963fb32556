import ContentStore
import FileTree
import Foundation

extension Drivers {
    /// Where the tree's one kernel lives.
    struct KernelLocation {
        var version: String
        var modulesPath: String
        var vmlinuzPath: String
    }

    /// The single /usr/lib/modules/<v> (or a real /lib/modules/<v>) that has /boot/vmlinuz-<v>.
    static func findKernel(in tree: FileTree) throws(DriversError) -> KernelLocation {
        var bases = ["/usr/lib/modules"]
        // Merged-/usr trees have /lib → usr/lib; an unmerged one may hold modules in /lib.
        if tree["/lib"]?.isDirectory == true, tree["/lib/modules"]?.isDirectory == true { bases.append("/lib/modules") }
        var directories: [String] = []
        var kernels: [KernelLocation] = []
        for base in bases where tree[base]?.isDirectory == true {
            for directory in tree.children(of: base) where tree[directory]?.isDirectory == true {
                directories.append(directory)
                let version = FileTree.name(of: directory)
                let vmlinuz = "/boot/vmlinuz-\(version)"
                guard let found = tree.resolve(vmlinuz), found.node.content != nil else { continue }
                kernels.append(KernelLocation(version: version, modulesPath: directory, vmlinuzPath: vmlinuz))
            }
        }
        guard let kernel = kernels.first else { throw .noKernel(moduleDirectories: directories) }
        guard kernels.count == 1 else { throw .severalKernels(kernels.map(\.version).sorted()) }
        return kernel
    }

    /// The inputs depmod reads besides the modules themselves.
    static let depmodInputs: Set<String> = ["modules.order", "modules.builtin", "modules.builtin.modinfo"]

    static func isModuleFile(_ name: String) -> Bool {
        name.hasSuffix(".ko") || name.hasSuffix(".ko.xz") || name.hasSuffix(".ko.zst") || name.hasSuffix(".ko.gz")
    }

    /// A module directory laid out for depmod and libkmod under `root`, its files symlinks
    /// to the store objects under their real names (libkmod takes the module name from the
    /// file name). `root/usr/lib/modules` points at `root/lib/modules`, so a depmod built for
    /// either module directory finds it.
    struct Stage {
        var root: String
        var directory: String
        /// Staged path → tree path, for module files.
        var modules: [String: String] = [:]
    }

    /// Stages module files (`include` decides which, by tree path) plus depmod's inputs;
    /// `replace` gives bytes for inputs that differ from the tree (a filtered modules.order).
    static func stage(
        tree: FileTree, store: ContentStore, kernel: KernelLocation, root: String,
        include: (String) -> Bool, replace: [String: [UInt8]] = [:]
    ) throws(DriversError) -> Stage {
        let fileManager = FileManager.default
        let directory = "\(root)/lib/modules/\(kernel.version)"
        var stage = Stage(root: root, directory: directory)
        do {
            try? fileManager.removeItem(atPath: root)
            try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try fileManager.createDirectory(atPath: "\(root)/usr/lib", withIntermediateDirectories: true)
            try fileManager.createSymbolicLink(atPath: "\(root)/usr/lib/modules", withDestinationPath: "../../lib/modules")
        } catch {
            throw .io(path: root, message: "cannot create the staging directory: \(error.localizedDescription)")
        }
        var madeDirectories: Set<String> = [directory]
        for path in tree.descendants(of: kernel.modulesPath) {
            let relative = String(path.dropFirst(kernel.modulesPath.count + 1))
            let name = FileTree.name(of: path)
            let isInput = !relative.contains("/") && depmodInputs.contains(name)
            guard isInput || (isModuleFile(name) && include(path)) else { continue }
            guard let ref = tree.resolve(path)?.node.content else { continue }
            let staged = "\(directory)/\(relative)"
            let parent = (staged as NSString).deletingLastPathComponent
            do {
                if madeDirectories.insert(parent).inserted {
                    try fileManager.createDirectory(atPath: parent, withIntermediateDirectories: true)
                }
                if let bytes = replace[name], isInput {
                    try Data(bytes).write(to: URL(fileURLWithPath: staged))
                } else {
                    try fileManager.createSymbolicLink(atPath: staged, withDestinationPath: store.path(for: ref))
                }
            } catch {
                throw .io(path: staged, message: "cannot stage \(path): \(error.localizedDescription)")
            }
            if !isInput { stage.modules[staged] = path }
        }
        return stage
    }

    /// `depmod -b ROOT -C EMPTY VERSION`: the indexes, from the staged files only.
    static func runDepmod(_ depmod: String, stage: Stage, version: String, work: String) throws(DriversError) {
        let configuration = "\(work)/depmod.d"
        let errorFile = "\(work)/depmod.stderr"
        let arguments = ["-b", stage.root, "-C", configuration, version]
        let command = ([depmod] + arguments).joined(separator: " ")
        let status: Int32
        do {
            try FileManager.default.createDirectory(atPath: configuration, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: depmod)
            process.arguments = arguments
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
            try process.run()
            process.waitUntilExit()
            status = process.terminationStatus
        } catch {
            throw .depmodFailed(command: command, status: -1, stderr: "cannot run it: \(error.localizedDescription)")
        }
        guard status == 0 else {
            let stderr = (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? ""
            throw .depmodFailed(command: command, status: status, stderr: stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}
