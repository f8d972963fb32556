import ContentStore
import EditDistance
import FileTree
internal import KernelModules

extension Drivers {
    /// One loadable module as libkmod reads it from the staged directory.
    struct ModuleRecord {
        var name: String
        var treePath: String
        var bytes: UInt64
        var info: ModuleInfo
        /// modules.dep (the transitive closure depmod computed), in load order.
        var dependencies: [String]
        /// Soft dependencies resolved to module names, as libkmod resolves them: the module's
        /// first `softdep=` line only (`kmod_module_get_softdeps` stops at the first match,
        /// "as modprobe from module-init-tools does"), each name through the full lookup
        /// (aliases such as `crypto-crc32c` included).
        var pre: [String]
        var post: [String]
    }

    /// A module compiled into vmlinuz, from modules.builtin and modules.builtin.modinfo.
    struct BuiltinRecord {
        var name: String
        var aliases: [String] = []
        var firmware: [String] = []
    }

    /// Every module of the kernel, with a libkmod context over the staged indexes for lookups.
    struct Catalog {
        var modules: [String: ModuleRecord] = [:]
        var builtins: [String: BuiltinRecord] = [:]
        let directory: ModuleDirectory

        /// Module names `name` stands for: itself ('-' and '_' alike), else whatever libkmod's
        /// lookup finds (aliases, symbols, built-ins). Empty when unknown.
        func resolve(_ name: String) throws(DriversError) -> [String] {
            let normalized = Drivers.normalize(name)
            if modules[normalized] != nil || builtins[normalized] != nil { return [normalized] }
            do {
                var seen = Set<String>()
                return try directory.lookup(name).map(\.name).filter { seen.insert($0).inserted }
            } catch {
                throw .moduleIndex(String(describing: error))
            }
        }

        /// Up to three known names close to `name` (edit distance, or sharing a prefix).
        func suggestions(for name: String) -> [String] {
            let target = Array(Drivers.normalize(name).lowercased().utf8)
            let limit = max(2, target.count / 3)
            let scored = (Array(modules.keys) + Array(builtins.keys)).compactMap { candidate -> (Int, String)? in
                let bytes = Array(candidate.utf8)
                let distance = Levenshtein.distance(target, bytes)
                let shared = bytes.starts(with: target) || target.starts(with: bytes)
                return distance <= limit || (shared && min(bytes.count, target.count) >= 3) ? (distance, candidate) : nil
            }
            return scored.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.prefix(3).map(\.1)
        }
    }

    /// Reads every staged module through libkmod and the built-in lists from the tree.
    static func readCatalog(stage: Stage, tree: FileTree, store: ContentStore, kernel: KernelLocation) throws(DriversError) -> Catalog {
        let directory: ModuleDirectory
        do {
            directory = try ModuleDirectory(directory: stage.directory)
        } catch {
            throw .moduleIndex(String(describing: error))
        }
        var catalog = Catalog(directory: directory)
        var softdeps: [String: String] = [:]
        for (staged, treePath) in stage.modules.sorted(by: { $0.key < $1.key }) {
            do {
                let info = try directory.info(ofModuleAt: staged)
                let dependencies = try directory.dependencies(of: info.name).map(\.name)
                let bytes = tree.resolve(treePath)?.node.content?.size ?? 0
                catalog.modules[info.name] = ModuleRecord(
                    name: info.name, treePath: treePath, bytes: bytes, info: info, dependencies: dependencies, pre: [], post: [])
                if let first = info.softdeps.first { softdeps[info.name] = first }
            } catch {
                throw .moduleIndex(String(describing: error))
            }
        }
        catalog.builtins = readBuiltins(tree: tree, store: store, modulesPath: kernel.modulesPath)
        for (name, line) in softdeps {
            let (pre, post) = parseSoftdep(line)
            var resolvedPre: [String] = []
            var resolvedPost: [String] = []
            for token in pre { resolvedPre += try catalog.resolve(token) }
            for token in post { resolvedPost += try catalog.resolve(token) }
            catalog.modules[name]?.pre = resolvedPre
            catalog.modules[name]?.post = resolvedPost
        }
        return catalog
    }

    /// "pre: a b post: c" → (["a", "b"], ["c"]). Names before any keyword are ignored, as
    /// libkmod's configuration parser ignores them.
    static func parseSoftdep(_ line: String) -> (pre: [String], post: [String]) {
        var pre: [String] = []
        var post: [String] = []
        var mode = 0
        for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            switch token {
            case "pre:": mode = 1
            case "post:": mode = 2
            default:
                if mode == 1 { pre.append(String(token)) } else if mode == 2 { post.append(String(token)) }
            }
        }
        return (pre, post)
    }

    /// modules.builtin ("kernel/crypto/crc32c_generic.ko" per line) and
    /// modules.builtin.modinfo ("name.key=value\0" records).
    static func readBuiltins(tree: FileTree, store: ContentStore, modulesPath: String) -> [String: BuiltinRecord] {
        func bytes(_ name: String) -> [UInt8] {
            guard let ref = tree.resolve("\(modulesPath)/\(name)")?.node.content else { return [] }
            return (try? store.read(ref)) ?? []
        }
        var builtins: [String: BuiltinRecord] = [:]
        for line in bytes("modules.builtin").split(separator: UInt8(ascii: "\n")) {
            var file = Substring(FileTree.name(of: String(decoding: line, as: UTF8.self)))
            if let dot = file.firstIndex(of: ".") { file = file[..<dot] }
            let name = Drivers.normalize(String(file))
            if !name.isEmpty { builtins[name] = BuiltinRecord(name: name) }
        }
        for record in bytes("modules.builtin.modinfo").split(separator: 0) {
            let text = String(decoding: record, as: UTF8.self)
            guard let dot = text.firstIndex(of: "."), let equals = text.firstIndex(of: "="), dot < equals else { continue }
            let name = Drivers.normalize(String(text[..<dot]))
            let key = text[text.index(after: dot)..<equals]
            let value = String(text[text.index(after: equals)...])
            guard builtins[name] != nil else { continue }
            if key == "alias" { builtins[name]?.aliases.append(value) }
            if key == "firmware" { builtins[name]?.firmware.append(value) }
        }
        return builtins
    }
}
