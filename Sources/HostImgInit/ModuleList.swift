import Glibc

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

extension ModuleList {
    /// The errors with which a module's init refuses hardware that is not there, so that
    /// loading it is pointless but harmless: ENODEV (the CPU lacks the feature it drives, as
    /// crc32c-intel without SSE4.2 or aesni-intel without AES-NI: `x86_match_cpu` failing),
    /// ENXIO (no such device or address, as platform drivers say) and EOPNOTSUPP (kvm-intel
    /// and kvm-amd without VMX/SVM). The boot goes on without such a module: a generic one
    /// (crc32c-generic) may serve instead, and if the root needed it after all, the step
    /// that needed it fails and its message names the module (`Refusal.note`).
    public static let hardwareAbsent: Set<Int32> = [ENODEV, ENXIO, EOPNOTSUPP]

    /// What finit_module(2) did with one module.
    public enum Outcome: Sendable, Equatable {
        case loaded
        /// EEXIST: built in or loaded before.
        case alreadyLoaded
        /// Refused for absent hardware (`hardwareAbsent`): skipped.
        case refused(Refusal)
    }

    /// A module the kernel refused for absent hardware.
    public struct Refusal: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var errno: Int32

        /// The module's name: its file name without `.ko` and a compression suffix.
        public var name: String {
            var name = Substring(path.split(separator: "/").last ?? Substring(path))
            for suffix in [".xz", ".zst", ".gz", ".ko"] where name.hasSuffix(suffix) { name = name.dropLast(suffix.count) }
            return String(name)
        }

        public var description: String { "\(name) (\(System.errorText(errno)))" }

        /// What a fatal message adds when modules were refused earlier: their names, since a
        /// missing disk, dm-verity or erofs driver only shows up as a later step failing.
        public static func note(_ refusals: [Refusal]) -> String {
            guard !refusals.isEmpty else { return "" }
            return "; earlier the kernel refused to load " + refusals.map(\.description).joined(separator: ", ")
                + " for absent hardware: if the root needs one of them (a disk driver, dm-verity, erofs), that is the cause"
        }
    }
}
