extension UpdateBundle {
    /// One JSON object of a manifest read field by field: each field is taken once, by name,
    /// with the type it must have, and `finish()` refuses whatever was not taken. Every
    /// problem is a `BundleError.invalidManifest` naming the field (`payloads[0].size`).
    struct ManifestObject {
        private let members: [(key: String, value: ManifestJSON)]
        private let path: ManifestPath
        private var taken = Set<String>()

        init(_ value: ManifestJSON, at path: ManifestPath) throws(BundleError) {
            guard case .object(let members) = value else { throw Self.wrongType(value, path, "an object") }
            self.members = members
            self.path = path
        }

        /// The value of a required field, and its path.
        private mutating func value(_ key: String) throws(BundleError) -> (ManifestJSON, ManifestPath) {
            let at = path.appending(.key(key))
            guard let member = members.first(where: { $0.key == key }) else {
                throw BundleError.invalidManifest(field: at.field, problem: "is missing")
            }
            taken.insert(key)
            return (member.value, at)
        }

        mutating func string(_ key: String) throws(BundleError) -> String {
            let (value, at) = try value(key)
            guard case .string(let text) = value else { throw Self.wrongType(value, at, "a string") }
            return text
        }

        /// A string field that may be absent or null (nil either way).
        mutating func optionalString(_ key: String) throws(BundleError) -> String? {
            guard members.contains(where: { $0.key == key }) else { return nil }
            let (value, at) = try value(key)
            switch value {
            case .null: return nil
            case .string(let text): return text
            default: throw Self.wrongType(value, at, "a string")
            }
        }

        mutating func integer(_ key: String) throws(BundleError) -> UInt64 {
            let (value, at) = try value(key)
            guard case .integer(let number) = value else { throw Self.wrongType(value, at, "an integer") }
            return number
        }

        /// The elements of an array field, each with its path.
        mutating func array(_ key: String) throws(BundleError) -> [(ManifestJSON, ManifestPath)] {
            let (value, at) = try value(key)
            guard case .array(let elements) = value else { throw Self.wrongType(value, at, "an array") }
            return elements.enumerated().map { ($0.element, at.appending(.index($0.offset))) }
        }

        /// Refuses the first member no field took: format 1 has no optional extensions, and a
        /// key this reader skipped would be a key two readers could disagree about.
        func finish() throws(BundleError) {
            if let unknown = members.first(where: { !taken.contains($0.key) }) {
                throw BundleError.invalidManifest(
                    field: path.appending(.key(unknown.key)).field, problem: "is not a field of format \(UpdateBundle.formatVersion)")
            }
        }

        private static func wrongType(_ value: ManifestJSON, _ at: ManifestPath, _ expected: String) -> BundleError {
            if case .null = value { return .invalidManifest(field: at.field, problem: "is null; expected \(expected)") }
            return .invalidManifest(field: at.field, problem: "has the wrong type; expected \(expected)")
        }
    }
}

extension UpdateBundle.Manifest {
    /// The manifest a parsed document describes, fields in declaration order; `validate()`
    /// then checks their values.
    init(json: UpdateBundle.ManifestJSON) throws(BundleError) {
        var object = try UpdateBundle.ManifestObject(json, at: UpdateBundle.ManifestPath())
        let number = try object.integer("format")
        guard let format = Int(exactly: number) else {
            throw BundleError.invalidManifest(
                field: "format", problem: "is \(number); this reader understands format \(UpdateBundle.formatVersion)")
        }
        self.format = format
        name = try object.string("name")
        self.version = try object.string("version")
        architecture = try object.string("architecture")
        rootHash = try object.string("rootHash")
        commandLine = try object.optionalString("commandLine")
        qemuVersion = try object.optionalString("qemuVersion")
        signedBy = try object.optionalString("signedBy")
        var payloads: [UpdateBundle.PayloadInfo] = []
        for (element, at) in try object.array("payloads") {
            payloads.append(try UpdateBundle.PayloadInfo(json: element, at: at))
        }
        self.payloads = payloads
        try object.finish()
    }
}

extension UpdateBundle.PayloadInfo {
    init(json: UpdateBundle.ManifestJSON, at path: UpdateBundle.ManifestPath) throws(BundleError) {
        var object = try UpdateBundle.ManifestObject(json, at: path)
        role = UpdateBundle.PayloadRole(rawValue: try object.string("role"))
        file = try object.string("file")
        size = try object.integer("size")
        sha256 = try object.string("sha256")
        compressedSize = try object.integer("compressedSize")
        compressedSha256 = try object.string("compressedSha256")
        compression = try object.string("compression")
        try object.finish()
    }
}
