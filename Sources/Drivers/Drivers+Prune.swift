import ContentStore
import FileTree
import Foundation

extension Drivers {
    /// Finds the single kernel in the tree, keeps the closure of what `request` selects and
    /// removes every other module and every firmware file no kept (or built-in) module names,
    /// then puts depmod's regenerated indexes for the kept set into the tree.
    ///
    /// `workDirectory` holds the staged module directories (`all/`, `kept/`, symlinks into
    /// the store) and depmod's empty configuration; it is reused on the next run.
    public static func prune(
        tree: inout FileTree, store: ContentStore, request: Request, workDirectory: String,
        depmod: String = "/sbin/depmod"
    ) throws -> (Report, Kernel) {
        let location = try findKernel(in: tree)
        let all = try stage(tree: tree, store: store, kernel: location, root: "\(workDirectory)/all", include: { _ in true })
        try runDepmod(depmod, stage: all, version: location.version, work: workDirectory)
        let catalog = try readCatalog(stage: all, tree: tree, store: store, kernel: location)
        let selection = try select(request, catalog: catalog)

        // Decisions, then the tree: module files first, then firmware.
        var decisions: [Decision] = []
        for record in catalog.modules.values.sorted(by: { $0.name < $1.name }) {
            let kept = selection.kept[record.name]
            let reasons: [String]
            if let kept {
                reasons = kept
            } else if selection.denied.contains(record.name) {
                reasons = ["drivers.deny"] + selection.deniedNotes[record.name, default: []]
            } else {
                reasons = [unselected]
            }
            decisions.append(Decision(module: record.name, path: record.treePath, kept: kept != nil, reasons: reasons, bytes: record.bytes))
        }
        let keptPaths = Set(decisions.filter(\.kept).map(\.path))
        let moduleFiles = tree.descendants(of: location.modulesPath).filter { tree[$0]?.isDirectory == false }
        for decision in decisions where !decision.kept { tree.remove(decision.path) }
        removeEmptiedDirectories(&tree, under: location.modulesPath, before: moduleFiles, after: moduleFiles.filter { tree[$0] != nil })

        var firmwareNames = Set<String>()
        for name in selection.kept.keys { firmwareNames.formUnion(catalog.modules[name]?.info.firmware ?? []) }
        for builtin in catalog.builtins.values { firmwareNames.formUnion(builtin.firmware) }
        let firmware = pruneFirmware(tree: &tree, names: firmwareNames)

        try regenerateIndexes(tree: &tree, store: store, location: location, keptPaths: keptPaths, depmod: depmod, work: workDirectory)

        let builtins = describeBuiltins(catalog, selection)
        let unmatched = selection.hardwareIDs.map(\.description).filter { selection.hardwareMatches[$0, default: []].isEmpty }
        let kept = decisions.filter(\.kept)
        let report = Report(
            kernelVersion: location.version, modulesBefore: decisions.count, modulesAfter: kept.count,
            bytesBefore: decisions.reduce(0) { $0 + $1.bytes }, bytesAfter: kept.reduce(0) { $0 + $1.bytes },
            firmwareFilesBefore: firmware.before, firmwareFilesAfter: firmware.after, firmwareBytesRemoved: firmware.bytesRemoved,
            decisions: decisions, unmatchedHardware: unmatched, builtinDriversWithoutHardware: builtins.withoutHardware,
            builtins: builtins.all)
        return (report, kernel(location, catalog: catalog, selection: selection))
    }

    /// depmod over the kept modules alone; its output replaces any index files in the tree,
    /// and modules.order keeps only the kept modules' lines.
    static func regenerateIndexes(
        tree: inout FileTree, store: ContentStore, location: KernelLocation, keptPaths: Set<String>, depmod: String, work: String
    ) throws(DriversError) {
        let orderPath = "\(location.modulesPath)/modules.order"
        var replace: [String: [UInt8]] = [:]
        let template = tree[orderPath]
        if let ref = tree.resolve(orderPath)?.node.content, let order = try? store.read(ref) {
            let lines = order.split(separator: UInt8(ascii: "\n")).filter { line in
                keptPaths.contains("\(location.modulesPath)/\(String(decoding: line, as: UTF8.self))")
            }
            replace["modules.order"] = lines.flatMap { Array($0) + [UInt8(ascii: "\n")] }
        }
        let kept = try stage(
            tree: tree, store: store, kernel: location, root: "\(work)/kept", include: { keptPaths.contains($0) }, replace: replace)
        try runDepmod(depmod, stage: kept, version: location.version, work: work)

        // Stale indexes (a tree unpacked from an installed system has them) go first.
        for path in tree.children(of: location.modulesPath) {
            let name = FileTree.name(of: path)
            if name.hasPrefix("modules."), !depmodInputs.contains(name) || name == "modules.order" { tree.remove(path) }
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: kept.directory)
        } catch {
            throw .io(path: kept.directory, message: "cannot list depmod's output: \(error.localizedDescription)")
        }
        for name in names.sorted() where name.hasPrefix("modules.") {
            let staged = "\(kept.directory)/\(name)"
            // Symlinks are the staged inputs (modules.builtin...), already in the tree.
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: staged)) != nil { continue }
            do {
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: staged)))
                let ref = try store.put(bytes)
                var node = FileTree.Node(.regular(ref), mode: 0o644, origin: "drivers (depmod)")
                node.mtime = template?.mtime ?? 0
                try tree.insert(node, at: "\(location.modulesPath)/\(name)")
            } catch {
                throw .io(path: staged, message: "cannot put depmod's output into the tree: \(error)")
            }
        }
    }

    /// The load graph of the kept modules, for `Kernel.loadOrder`.
    static func kernel(_ location: KernelLocation, catalog: Catalog, selection: Selection) -> Kernel {
        let keep = { (name: String) in selection.kept[name] != nil || catalog.builtins[name] != nil }
        var modules: [String: LoadEntry] = [:]
        var aliases: [String: [String]] = [:]
        for name in selection.kept.keys {
            guard let record = catalog.modules[name] else { continue }
            modules[name] = LoadEntry(
                path: record.treePath, dependencies: record.dependencies.filter(keep),
                pre: record.pre.filter(keep), post: record.post.filter(keep))
            for alias in record.info.aliases where !alias.contains(where: { "*?[".contains($0) }) {
                aliases[alias, default: []].append(name)
            }
        }
        for builtin in catalog.builtins.values {
            for alias in builtin.aliases where !alias.contains(where: { "*?[".contains($0) }) {
                aliases[alias, default: []].append(builtin.name)
            }
        }
        return Kernel(
            version: location.version, vmlinuzPath: location.vmlinuzPath, modulesPath: location.modulesPath,
            modules: modules, builtins: Set(catalog.builtins.keys), aliases: aliases.mapValues { $0.sorted() })
    }
}
