internal import CKmod
#if canImport(Glibc)
internal import Glibc
#endif

/// A kernel's module directory (`/lib/modules/<release>` of an unpacked kernel, not
/// necessarily the running one), read through libkmod as modprobe and depmod read it.
///
/// Host configuration is deliberately ignored: `kmod_new` gets an empty list of
/// configuration paths unless `configPaths` names some (the image's own `etc/modprobe.d`),
/// so aliases and blacklists on the build machine never change what goes into an image.
///
/// Single-owner and not thread-safe, like the `kmod_ctx` it owns.
public final class ModuleDirectory {
    private let context: OpaquePointer
    private let log: KmodLog
    /// The directory given at creation.
    public let directory: String

    /// Open a module directory.
    ///
    /// - Parameters:
    ///   - directory: e.g. `<root>/lib/modules/6.1.0-18-amd64`.
    ///   - configPaths: modprobe configuration files or directories to apply; none by default.
    public convenience init(directory: String, configPaths: [String] = []) throws {
        var status = stat()
        guard stat(directory, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
            throw KernelModuleError.directoryMissing(directory)
        }
        try self.init(unchecked: directory, configPaths: configPaths)
    }

    init(unchecked directory: String, configPaths: [String]) throws {
        self.directory = directory
        log = KmodLog()
        // kmod_new reads the configuration during the call, so the C strings need to live
        // only that long; a NULL-terminated array with no paths means "no configuration".
        let created: OpaquePointer? = withCStrings(configPaths) { paths in kmod_new(directory, paths) }
        guard let created else { throw KernelModuleError.outOfMemory }
        context = created
        log.attach(to: context)
        // Map the binary indexes once instead of reopening them on every lookup. This fails
        // when an index file is missing; lookups then read the files on demand, and
        // `requireIndex` reports a missing modules.dep.bin in terms a person can act on.
        if kmod_load_resources(context) < 0 { log.reset() }
    }

    deinit { kmod_unref(context) }

    /// Whether depmod's index exists, so names and aliases can be resolved.
    public var hasIndex: Bool {
        access(directory + "/modules.dep.bin", R_OK) == 0
    }

    private func requireIndex() throws {
        guard hasIndex else { throw KernelModuleError.indexMissing(directory: directory) }
    }

    /// Modules matching a name or an alias (a modalias such as
    /// `pci:v00008086d00001533sv*...`, a `symbol:` name, or an alias from configuration),
    /// as `modprobe` resolves them. Empty when nothing matches.
    public func lookup(_ nameOrAlias: String) throws -> [ModuleReference] {
        try requireIndex()
        log.reset()
        var list: OpaquePointer?
        try log.check(kmod_module_new_from_lookup(context, nameOrAlias, &list), "look up \"\(nameOrAlias)\" in \(directory)")
        defer { kmod_module_unref_list(list) }
        return references(list)
    }

    /// The module called `name` in this directory's `modules.dep`.
    public func module(named name: String) throws -> ModuleReference {
        try withModule(named: name) { reference($0) }
    }

    /// The modules `name` depends on, from `modules.dep`, in load order: every module comes
    /// after the ones it needs (libkmod returns the `modules.dep` line reversed, which is the
    /// order modprobe inserts them). depmod already lists the full transitive closure.
    public func dependencies(of name: String) throws -> [ModuleReference] {
        try withModule(named: name) { module in
            let list = kmod_module_get_dependencies(module)
            defer { kmod_module_unref_list(list) }
            return references(list)
        }
    }

    /// Looks `name` up in `modules.dep` and lends the handle to `body`.
    private func withModule<T>(named name: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        try requireIndex()
        log.reset()
        var module: OpaquePointer?
        try log.check(kmod_module_new_from_name_lookup(context, name, &module), "look up module \(name) in \(directory)")
        guard let module else { throw KernelModuleError.moduleNotFound(name: name, directory: directory) }
        defer { kmod_module_unref(module) }
        return try body(module)
    }

    /// The `modinfo` fields of the module file at `path`.
    public func info(ofModuleAt path: String) throws -> ModuleInfo {
        log.reset()
        var module: OpaquePointer?
        try log.check(kmod_module_new_from_path(context, path, &module), "open the module file \(path)")
        guard let module else {
            throw KernelModuleError.library(
                operation: "open the module file \(path)", errno: ENOENT, message: "no module returned", log: log.lines)
        }
        defer { kmod_module_unref(module) }
        return try ModuleInfo(module: module, log: log)
    }

    /// The `modinfo` fields of the module called `name` in this directory.
    public func info(ofModuleNamed name: String) throws -> ModuleInfo {
        let found = try module(named: name)
        guard let path = found.path else { throw KernelModuleError.moduleNotFound(name: name, directory: directory) }
        return try info(ofModuleAt: path)
    }

    private func reference(_ module: OpaquePointer) -> ModuleReference {
        ModuleReference(
            name: kmod_module_get_name(module).map { String(cString: $0) } ?? "",
            path: kmod_module_get_path(module).map { String(cString: $0) })
    }

    private func references(_ list: OpaquePointer?) -> [ModuleReference] {
        var result: [ModuleReference] = []
        var item = list
        while let entry = item {
            if let module = kmod_module_get_module(entry) {
                result.append(reference(module))
                kmod_module_unref(module)  // kmod_module_get_module returns a new reference
            }
            item = kmod_list_next(list, entry)
        }
        return result
    }
}

/// Call `body` with a NULL-terminated array of C strings that lives for the call.
private func withCStrings<Result>(
    _ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> Result
) -> Result {
    let duplicated: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { duplicated.forEach { free($0) } }
    let array: [UnsafePointer<CChar>?] = duplicated.map { $0.map { UnsafePointer($0) } } + [nil]
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
