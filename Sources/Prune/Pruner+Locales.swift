import ContentStore
import FileTree

/// A locale name as glibc and gettext spell it: `language[_territory][.codeset][@modifier]`
/// (glibc manual, "Locale Names"; gettext `_nl_explode_name`).
struct LocaleName: Hashable {
    var language: String
    var territory: String?
    var codeset: String?
    var modifier: String?

    /// `en_US` for `en_US.UTF-8@euro`: the part that identifies the locale's data.
    var base: String { territory.map { "\(language)_\($0)" } ?? language }

    /// The portable locales that every program may fall back to; never pruned.
    static func isPortable(_ name: String) -> Bool {
        name == "C" || name == "POSIX" || name.hasPrefix("C.") || name.hasPrefix("C@")
    }

    /// Parses a name, or says why it is not one.
    static func parse(_ name: String) -> Result<LocaleName, PruneError> {
        func invalid(_ reason: String) -> Result<LocaleName, PruneError> {
            .failure(.invalidLocale(entry: name, reason: reason))
        }
        var rest = Substring(name)
        var modifier: String?
        if let at = rest.firstIndex(of: "@") {
            modifier = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
        }
        var codeset: String?
        if let dot = rest.firstIndex(of: ".") {
            codeset = String(rest[rest.index(after: dot)...])
            rest = rest[..<dot]
        }
        var territory: String?
        if let underscore = rest.firstIndex(of: "_") {
            territory = String(rest[rest.index(after: underscore)...])
            rest = rest[..<underscore]
        }
        let language = String(rest)
        guard !language.isEmpty else { return invalid("the language part is empty") }
        guard language.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            return invalid("the language part '\(language)' must be letters only")
        }
        let allowed: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        if let territory, territory.isEmpty || !territory.allSatisfy(allowed) {
            return invalid("the territory part '\(territory)' must be letters or digits")
        }
        if let codeset, codeset.isEmpty || !codeset.allSatisfy(allowed) {
            return invalid("the codeset part '\(codeset)' must be letters, digits or '-'")
        }
        if let modifier, modifier.isEmpty || !modifier.allSatisfy(allowed) {
            return invalid("the modifier part '\(modifier)' must be letters or digits")
        }
        return .success(LocaleName(language: language, territory: territory, codeset: codeset, modifier: modifier))
    }
}

/// The locales a build keeps, and the rule for which directory names that keeps.
struct LocaleKeepSet {
    /// `en_US` for a kept `en_US` / `en_US.UTF-8`; `en` for a kept `en`.
    var bases: Set<String> = []
    /// Languages of kept locales: `en` keeps the language-only catalogues (`en`, `en@quot`).
    var languages: Set<String> = []
    /// Languages kept in every territory (a keep entry with no territory, such as `de`).
    var wholeLanguages: Set<String> = []

    init(_ keep: [String]) throws(PruneError) {
        for entry in keep {
            if LocaleName.isPortable(entry) { continue }
            switch LocaleName.parse(entry) {
            case let .failure(error): throw error
            case let .success(name):
                bases.insert(name.base)
                languages.insert(name.language)
                if name.territory == nil { wholeLanguages.insert(name.language) }
            }
        }
    }

    /// Whether a directory or file named `name` (a locale name) stays: it is portable (C,
    /// POSIX), or names a kept locale in any codeset or modifier, or is the language-only
    /// catalogue of a kept locale's language.
    func keeps(_ name: String) -> Bool {
        if LocaleName.isPortable(name) { return true }
        guard case let .success(locale) = LocaleName.parse(name) else { return true }  // not a locale: not ours
        if bases.contains(locale.base) || wholeLanguages.contains(locale.language) { return true }
        return locale.territory == nil && languages.contains(locale.language)
    }
}

extension Pruner {
    /// Translated message catalogues (`/usr/share/locale/<L>`), compiled locales
    /// (`/usr/lib/locale/<L>`), locale sources (`/usr/share/i18n/locales/<L>`) and translated
    /// manual pages (`/usr/share/man/<L>`) for every locale not in `keep`.
    ///
    /// Files directly in `/usr/share/locale` and `/usr/lib/locale` stay (`locale.alias`,
    /// `locale-archive`). In the locale sources, glibc's shared inputs stay (`translit_*`,
    /// `iso14651_t1*`, `i18n*`, `POSIX`, `C`), and so does every source a kept one pulls in
    /// with `copy "…"` or `include "…"`, so `localedef` can still compile the kept locales.
    public func locales(keep: [String], in tree: inout FileTree) throws(PruneError) -> PruneReport {
        let keepSet = try LocaleKeepSet(keep)
        var targets: [String: String] = [:]
        func reason(_ name: String) -> String { "locale \(name) not in locales.keep" }

        for directory in ["/usr/share/locale", "/usr/lib/locale"] {
            for path in tree.children(of: directory) where tree[path]?.isDirectory == true {
                let name = FileTree.name(of: path)
                if !keepSet.keeps(name) { targets[path] = reason(name) }
            }
        }
        for path in tree.children(of: "/usr/share/man") where tree[path]?.isDirectory == true {
            let name = FileTree.name(of: path)
            // man1 ... man9, mann, man3p: sections, not translations.
            if name.hasPrefix("man") { continue }
            if !keepSet.keeps(name) { targets[path] = reason(name) }
        }
        for (path, name) in try unneededLocaleSources(keepSet, tree) { targets[path] = reason(name) }
        return remove(targets, category: .locale, from: &tree)
    }

    /// Names in `/usr/share/i18n/locales` that are not glibc's shared inputs.
    static func isSharedLocaleInput(_ name: String) -> Bool {
        name == "POSIX" || name == "C" || name.hasPrefix("translit_") || name.hasPrefix("iso14651_t1")
            || name.hasPrefix("i18n")
    }

    /// Locale source files no kept locale needs, as (path, name).
    private func unneededLocaleSources(_ keepSet: LocaleKeepSet, _ tree: FileTree) throws(PruneError) -> [(String, String)] {
        let directory = "/usr/share/i18n/locales"
        let files = tree.children(of: directory).filter { tree[$0]?.isDirectory == false }
        let byName = Dictionary(files.map { (FileTree.name(of: $0), $0) }, uniquingKeysWith: { a, _ in a })
        var needed: Set<String> = []
        var queue = byName.keys.filter { Self.isSharedLocaleInput($0) || keepSet.keeps($0) }.sorted()
        // Breadth-first over `copy` / `include`; each name is visited once, so this ends.
        while let name = queue.popLast() {
            guard needed.insert(name).inserted, let path = byName[name] else { continue }
            guard let ref = tree.resolve(path)?.node.content else { continue }
            for reference in try localeReferences(path: path, ref: ref) where !needed.contains(reference) {
                queue.append(reference)
            }
        }
        return byName.keys.filter { !needed.contains($0) }.sorted().compactMap { name in
            byName[name].map { ($0, name) }
        }
    }

    /// The names a locale source pulls in: `copy "de_DE"` and `include "translit_combining";""`
    /// (localedef(1), locale(5)).
    private func localeReferences(path: String, ref: ContentStore.Ref) throws(PruneError) -> [String] {
        // Locale sources are tens of kilobytes; a huge file here is not one, so it is not read.
        guard ref.size <= 4 << 20 else { return [] }
        let bytes: [UInt8]
        do {
            bytes = try store.read(ref)
        } catch {
            throw .contentMissing(path: path, ref: ref)
        }
        var names: [String] = []
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let keyword = words.first, keyword == "copy" || keyword == "include" else { continue }
            let parts = line.split(separator: "\"", omittingEmptySubsequences: false)
            if parts.count >= 2, !parts[1].isEmpty { names.append(String(parts[1])) }
        }
        return names
    }
}
