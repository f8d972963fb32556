/// `/usr/lib/hostimg/modules`: the kernel modules to load, one a line, in load order.
///
/// ```
/// # comment
/// /usr/lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/md/dm-mod.ko
/// /usr/lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/md/dm-verity.ko  PARAM=VALUE ...
/// ```
/// Leading and trailing blanks are dropped; everything after the first space (or tab) of a
/// line is the parameter string passed to finit_module.
public struct ModuleList: Sendable, Equatable {
    public struct Module: Sendable, Equatable {
        public var path: String
        public var parameters: String
        /// The file is compressed and the kernel must decompress it (MODULE_INIT_COMPRESSED_FILE).
        public var isCompressed: Bool {
            path.hasSuffix(".ko.xz") || path.hasSuffix(".ko.zst") || path.hasSuffix(".ko.gz")
        }
    }

    public var modules: [Module]

    public init(modules: [Module]) { self.modules = modules }

    public init(parsing text: String) throws {
        modules = []
        var lineNumber = 0
        // "\r\n" is one Character: splitting on "\n" alone would join CRLF lines.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = Self.trimmed(Substring(rawLine))
            if line.isEmpty || line.hasPrefix("#") { continue }
            let split = line.firstIndex { $0 == " " || $0 == "\t" }
            let path = String(split.map { line[..<$0] } ?? line[...])
            let parameters = split.map { Self.trimmed(line[$0...]) } ?? ""
            guard path.hasPrefix("/") else {
                throw InitError.moduleList(line: lineNumber, "\"\(path)\" is not an absolute path inside the initrd (e.g. /usr/lib/modules/VERSION/kernel/drivers/md/dm-verity.ko)")
            }
            guard path.hasSuffix(".ko") || path.hasSuffix(".ko.xz") || path.hasSuffix(".ko.zst") || path.hasSuffix(".ko.gz") else {
                throw InitError.moduleList(line: lineNumber, "\"\(path)\" is not a module file (.ko, .ko.xz, .ko.zst or .ko.gz)")
            }
            modules.append(Module(path: path, parameters: String(parameters)))
        }
    }

    private static func trimmed(_ text: Substring) -> Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = text.firstIndex(where: { !blank($0) }), let last = text.lastIndex(where: { !blank($0) }) else {
            return ""
        }
        return text[first...last]
    }
}
