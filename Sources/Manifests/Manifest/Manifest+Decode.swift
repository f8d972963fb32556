/// Schema v1: YAML tree → `Manifest`, every mistake reported with its position.
extension Manifest {
    static let topLevelKeys = ["extends", "partial", "image", "packages", "base", "kernel", "hardware",
                               "drivers", "locales", "strip", "overlays", "tuning", "services", "disk", "boot", "signing"]

    /// Decodes an already merged tree (see `ManifestLoader` for `extends:`).
    /// nil when the document is not a mapping at all (reported); rules need a manifest.
    static func decode(_ root: YNode, file: String, reader: inout SchemaReader) -> Manifest? {
        var manifest = Manifest(file: file)
        guard let top = reader.mapping(root, path: "", keys: topLevelKeys) else { return nil }
        manifest.partial = reader.bool(top["partial"], path: "partial")?.value ?? false
        let required = manifest.partial ? [] : ["image", "kernel"]
        let misspelt = Set(top.node.pairs?.compactMap { SchemaReader.closest(to: $0.name, in: topLevelKeys) }
            .filter { key in top.node.pairs?.contains { $0.name == key } == false } ?? [])
        for key in required where top[key] == nil && !misspelt.contains(key) {
            reader.sink.error(root.location, "schema.required", "missing required field `\(key)`",
                              hint: "add `\(key):`, or mark a manifest meant only for `extends:` with `partial: true`")
        }
        if let node = top["image"] { manifest.image = decodeImage(node, partial: manifest.partial, reader: &reader) }
        if let node = top["packages"] { manifest.packages = decodePackages(node, reader: &reader) }
        if let node = top["base"], let fields = reader.mapping(node, path: "base", keys: ["tarball"], required: ["tarball"]) {
            manifest.base = Base(tarball: reader.string(fields["tarball"], path: "base.tarball"), location: node.location)
        }
        manifest.kernel = reader.string(top["kernel"], path: "kernel")
        manifest.hardware = reader.string(top["hardware"], path: "hardware")
        if let node = top["drivers"], let fields = reader.mapping(node, path: "drivers", keys: ["keep", "deny", "hardware"]) {
            manifest.drivers.keep = reader.strings(fields["keep"], path: "drivers.keep")
            manifest.drivers.deny = reader.strings(fields["deny"], path: "drivers.deny")
            manifest.drivers.hardware = reader.list(fields["hardware"], path: "drivers.hardware") { r, item, path in r.pciID(item, path: path) }
        }
        if let node = top["locales"], let fields = reader.mapping(node, path: "locales", keys: ["keep"]) {
            manifest.locales.keep = reader.strings(fields["keep"], path: "locales.keep")
        }
        if let node = top["strip"], let fields = reader.mapping(node, path: "strip", keys: ["docs", "man", "foreignArch"]) {
            manifest.strip.docs = reader.bool(fields["docs"], path: "strip.docs")?.value ?? true
            manifest.strip.man = reader.bool(fields["man"], path: "strip.man")?.value ?? true
            manifest.strip.foreignArch = reader.bool(fields["foreignArch"], path: "strip.foreignArch")?.value ?? true
        }
        manifest.overlays = reader.strings(top["overlays"], path: "overlays")
        if let node = top["tuning"] { manifest.tuning = Tuning.decode(node, reader: &reader) }
        if let node = top["services"], let fields = reader.mapping(node, path: "services", keys: ["enable", "defaultTarget"]) {
            manifest.services.enable = reader.strings(fields["enable"], path: "services.enable")
            manifest.services.defaultTarget = reader.string(fields["defaultTarget"], path: "services.defaultTarget")
            for unit in manifest.services.enable + [manifest.services.defaultTarget].compactMap({ $0 }) where !isUnitName(unit.value) {
                reader.sink.error(unit.location, "schema.value", "'\(unit.value)' is not a systemd unit name",
                                  hint: "write the full name with its suffix, e.g. ssh.service, hostimg-hugepages.service, multi-user.target")
            }
            if let target = manifest.services.defaultTarget, isUnitName(target.value), !target.value.hasSuffix(".target") {
                reader.sink.error(target.location, "schema.value", "`services.defaultTarget` '\(target.value)' is not a target",
                                  hint: "name a .target unit, e.g. multi-user.target")
            }
        }
        if let node = top["disk"], let fields = reader.mapping(node, path: "disk", keys: ["size", "slotSize", "espSize", "stateSize"]) {
            manifest.disk.size = reader.size(fields["size"], path: "disk.size")
            manifest.disk.slotSize = reader.size(fields["slotSize"], path: "disk.slotSize")
            manifest.disk.espSize = reader.size(fields["espSize"], path: "disk.espSize")
            manifest.disk.stateSize = reader.size(fields["stateSize"], path: "disk.stateSize")
        }
        if let node = top["boot"], let fields = reader.mapping(node, path: "boot", keys: ["tries", "secureBoot"]) {
            manifest.boot.tries = reader.int(fields["tries"], path: "boot.tries", range: 1...Boot.maximumTries)
            manifest.boot.secureBoot = reader.bool(fields["secureBoot"], path: "boot.secureBoot")
        }
        if let node = top["signing"], let fields = reader.mapping(node, path: "signing", keys: ["key", "certificate"]) {
            manifest.signing = Signing(key: decodeKeySource(fields["key"], path: "signing.key", reader: &reader),
                                       certificate: decodeKeySource(fields["certificate"], path: "signing.certificate", reader: &reader))
        }
        manifest.invalidFields = reader.invalid
        return manifest
    }

    private static func decodeImage(_ node: YNode, partial: Bool, reader: inout SchemaReader) -> Image {
        var image = Image()
        guard let fields = reader.mapping(node, path: "image", keys: ["name", "version", "arch"],
                                          required: partial ? [] : ["name", "version"]) else { return image }
        image.name = reader.string(fields["name"], path: "image.name")
        if let name = image.name, !isImageName(name.value) {
            reader.sink.error(name.location, "schema.value", "`image.name` '\(name.value)' is not a valid image name",
                              hint: "use lowercase letters, digits and '-', starting with a letter (it becomes a partition label)")
        }
        image.version = reader.string(fields["version"], path: "image.version")
        if let version = image.version, !isVersion(version.value) {
            reader.sink.error(version.location, "schema.value", "`image.version` '\(version.value)' is not a valid version",
                              hint: "use letters, digits and . + ~ - only, starting with a digit or letter, e.g. 2026.11.0")
        }
        image.arch = reader.string(fields["arch"], path: "image.arch")
        if let arch = image.arch, arch.value != "x86_64" {
            let hint = ["amd64", "x86-64", "x64"].contains(arch.value) ? "write 'x86_64'" : "only x86_64 hosts are supported; remove the field or write 'x86_64'"
            reader.sink.error(arch.location, "image.arch", "`image.arch` is '\(arch.value)'; hostimg builds only x86_64 images", hint: hint)
        }
        return image
    }

    static func isImageName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, ("a"..."z").contains(first), text.count <= 32 else { return false }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    static func isVersion(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.properties.isAlphabetic || ("0"..."9").contains(first),
              text.count <= 32 else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".+~-".unicodeScalars.contains($0)) }
    }

    private static func decodePackages(_ node: YNode, reader: inout SchemaReader) -> Packages? {
        guard let fields = reader.mapping(node, path: "packages", keys: ["repository", "essential", "include", "exclude"]) else { return nil }
        var packages = Packages(location: node.location)
        if let repo = fields["repository"],
           let r = reader.mapping(repo, path: "packages.repository", keys: ["url", "suite", "components", "keyring"],
                                  required: ["url", "suite", "components", "keyring"]) {
            var repository = Repository()
            repository.url = reader.string(r["url"], path: "packages.repository.url")
            if let url = repository.url, !(url.value.hasPrefix("http://") || url.value.hasPrefix("https://") || url.value.hasPrefix("file:")) {
                reader.sink.error(url.location, "schema.value", "`packages.repository.url` '\(url.value)' is not an http(s) or file: URL",
                                  hint: "e.g. http://deb.debian.org/debian")
            }
            repository.suite = reader.string(r["suite"], path: "packages.repository.suite")
            repository.components = reader.strings(r["components"], path: "packages.repository.components")
            repository.keyring = reader.string(r["keyring"], path: "packages.repository.keyring")
            packages.repository = repository
        }
        packages.essential = reader.bool(fields["essential"], path: "packages.essential")
        packages.include = reader.strings(fields["include"], path: "packages.include")
        packages.exclude = reader.strings(fields["exclude"], path: "packages.exclude")
        for name in packages.include + packages.exclude where !isPackageName(name.value) {
            reader.sink.error(name.location, "schema.value", "'\(name.value)' is not a Debian package name",
                              hint: "package names are lowercase letters, digits and + - . (at least two characters)")
        }
        return packages
    }

    static let unitSuffixes = [".service", ".socket", ".target", ".timer", ".mount", ".path", ".slice", ".automount", ".swap"]

    static func isUnitName(_ text: String) -> Bool {
        guard text.count <= 255, !text.contains("/"), let suffix = unitSuffixes.first(where: { text.hasSuffix($0) }),
              text.count > suffix.count else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ":-_.\\@".unicodeScalars.contains($0)) }
    }

    static func isPackageName(_ text: String) -> Bool {
        guard text.count >= 2, let first = text.unicodeScalars.first,
              ("a"..."z").contains(first) || ("0"..."9").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0) }
    }

    private static func decodeKeySource(_ node: YNode?, path: String, reader: inout SchemaReader) -> KeySource? {
        guard let node else { return nil }
        if let text = node.scalarText, text.contains("-----BEGIN") || text.count > 200 {
            reader.sink.error(node.location, "signing.inline", "`\(path)` holds key material inline",
                              hint: "never put keys in a manifest: write `file: path/to/key.pem` or `env: VARIABLE`")
            return nil
        }
        guard let fields = reader.mapping(node, path: path, keys: ["file", "env"]) else { return nil }
        let file = reader.string(fields["file"], path: "\(path).file")
        let env = reader.string(fields["env"], path: "\(path).env")
        switch (file, env) {
        case let (file?, nil): return .file(file)
        case let (nil, env?):
            if !env.value.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }) {
                reader.sink.error(env.location, "schema.value", "`\(path).env` '\(env.value)' is not an environment variable name",
                                  hint: "use letters, digits and _, e.g. HOSTIMG_SIGNING_KEY")
            }
            return .environment(env)
        case (.some, .some):
            reader.sink.error(node.location, "schema.value", "`\(path)` names both a file and an environment variable",
                              hint: "keep one of `file:` and `env:`")
        case (nil, nil):
            reader.sink.error(node.location, "schema.required", "`\(path)` needs `file:` or `env:`",
                              hint: "e.g. `file: keys/signing.key` or `env: HOSTIMG_SIGNING_KEY`")
        }
        return nil
    }
}
