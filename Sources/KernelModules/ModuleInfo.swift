internal import CKmod

/// What `modinfo` shows for one module file: the `.modinfo` section of the ELF object plus
/// signature details, as libkmod's `kmod_module_get_info` returns them.
///
/// The image build uses it to decide what an initrd needs: `depends` for the closure of
/// modules, `firmware` for the files to copy alongside, `softdeps` for modules loaded
/// before or after, `aliases` for device matching.
public struct ModuleInfo: Sendable, Hashable {
    /// One key/value line, in the order the module stores them.
    public struct Field: Sendable, Hashable {
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// Module name as the kernel knows it (file name without extension, "-" as "_").
    public var name: String
    /// The file the information was read from.
    public var path: String?
    /// Every field, including repeated keys and the signature fields libkmod adds
    /// (`signer`, `sig_key`, `sig_hashalgo`...).
    public var fields: [Field]

    public init(name: String, path: String?, fields: [Field]) {
        self.name = name
        self.path = path
        self.fields = fields
    }

    /// All values of `key`, in order.
    public func values(_ key: String) -> [String] {
        fields.filter { $0.key == key }.map(\.value)
    }

    /// The first value of `key`, if any.
    public func value(_ key: String) -> String? {
        fields.first { $0.key == key }?.value
    }

    /// Modules this one needs loaded first (the comma-separated `depends=` field that
    /// modpost computed from undefined symbols). Empty for modules without dependencies.
    public var depends: [String] {
        values("depends").flatMap { $0.split(separator: ",").map(String.init) }.filter { !$0.isEmpty }
    }

    public var aliases: [String] { values("alias") }
    /// Raw `softdep=` values, e.g. "pre: crc32c".
    public var softdeps: [String] { values("softdep") }
    /// Firmware files relative to /lib/firmware.
    public var firmware: [String] { values("firmware") }
    public var license: String? { value("license") }
    public var vermagic: String? { value("vermagic") }
    public var description: String? { value("description") }
    public var authors: [String] { values("author") }

    /// Read from a libkmod module handle.
    init(module: OpaquePointer, log: KmodLog) throws {
        var list: OpaquePointer?
        let name = kmod_module_get_name(module).map { String(cString: $0) } ?? ""
        let path = kmod_module_get_path(module).map { String(cString: $0) }
        try log.check(kmod_module_get_info(module, &list), "read the module information of \(path ?? name)")
        defer { kmod_module_info_free_list(list) }
        var fields: [Field] = []
        var item = list
        while let entry = item {
            let key = kmod_module_info_get_key(entry).map { String(cString: $0) } ?? ""
            let value = kmod_module_info_get_value(entry).map { String(cString: $0) } ?? ""
            fields.append(Field(key: key, value: value))
            item = kmod_list_next(list, entry)
        }
        self.init(name: name, path: path, fields: fields)
    }

    /// Read the information of the module file at `path` (`.ko`, `.ko.xz`, `.ko.zst`,
    /// whatever compression this libkmod supports). Needs no module directory or index.
    public init(path: String) throws {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let context = try ModuleDirectory(unchecked: directory.isEmpty ? "." : directory, configPaths: [])
        self = try context.info(ofModuleAt: path)
    }
}

/// A module as a module directory's index knows it.
public struct ModuleReference: Sendable, Hashable {
    /// Module name ("-" normalised to "_").
    public var name: String
    /// Path of the module file, absolute; nil for modules built into the kernel.
    public var path: String?

    public init(name: String, path: String?) {
        self.name = name
        self.path = path
    }
}
