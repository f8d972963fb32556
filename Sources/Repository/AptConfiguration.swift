import Debian
import Foundation

/// Reads the APT sources the build machine itself is configured with, the way APT does:
/// `sources.list`, then `sources.list.d/*.list` (one-line format) and `*.sources` (deb822
/// format, see sources.list(5)), in file name order. Files with other names (`.save`,
/// `.disabled-by-farm`, editor backups) are ignored, as are `deb-src` entries and stanzas
/// with `Enabled: no`.
public enum AptConfiguration {
    /// All `deb` sources configured under `aptDirectory` (normally `/etc/apt`; tests pass a
    /// fake tree). A source without Signed-By gets the default keyrings: `trusted.gpg` and
    /// `trusted.gpg.d/*.gpg|*.asc` under the same directory.
    public static func sources(aptDirectory: String = "/etc/apt") throws -> [AptSource] {
        let fm = FileManager.default
        let fallback = AptSource.Keyring.files(defaultKeyrings(aptDirectory: aptDirectory))
        var result: [AptSource] = []
        let main = aptDirectory + "/sources.list"
        if fm.fileExists(atPath: main) {
            result += try oneLineFile(main, defaultKeyring: fallback)
        }
        let directory = aptDirectory + "/sources.list.d"
        let names = ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).filter(isValidName).sorted()
        for name in names {
            let path = directory + "/" + name
            if name.hasSuffix(".list") {
                result += try oneLineFile(path, defaultKeyring: fallback)
            } else if name.hasSuffix(".sources") {
                result += try deb822File(path, defaultKeyring: fallback)
            }
        }
        return result
    }

    /// APT only reads files whose names consist of letters, digits, `_`, `-` and `.`.
    static func isValidName(_ name: String) -> Bool {
        !name.hasPrefix(".") && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
    }

    static func defaultKeyrings(aptDirectory: String) -> [String] {
        var keyrings: [String] = []
        let legacy = aptDirectory + "/trusted.gpg"
        if FileManager.default.fileExists(atPath: legacy) { keyrings.append(legacy) }
        let directory = aptDirectory + "/trusted.gpg.d"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        keyrings += names.filter { $0.hasSuffix(".gpg") || $0.hasSuffix(".asc") }.sorted().map { directory + "/" + $0 }
        return keyrings
    }

    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RepositoryError.invalidSource(file: path, line: 0, reason: "cannot read the file")
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func oneLineFile(_ path: String, defaultKeyring: AptSource.Keyring) throws -> [AptSource] {
        var result: [AptSource] = []
        for (index, line) in try read(path).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let sources = try AptSource.parseOneLine(String(line), file: path, line: index + 1,
                                                        defaultKeyring: defaultKeyring) {
                result += sources
            }
        }
        return result
    }

    /// One stanza yields a source per URI × suite when its Types include `deb`.
    static func deb822File(_ path: String, defaultKeyring: AptSource.Keyring) throws -> [AptSource] {
        let text = try read(path)
        let paragraphs: [Deb822.Paragraph]
        do {
            paragraphs = try Deb822.parse(text)
        } catch {
            throw RepositoryError.invalidSource(file: path, line: error.line, reason: error.reason)
        }
        var result: [AptSource] = []
        for stanza in paragraphs {
            let invalid = { (field: String, reason: String) in
                RepositoryError.invalidSource(file: path, line: stanza.field(field)?.line ?? stanza.line, reason: reason)
            }
            if let enabled = stanza["Enabled"]?.lowercased() {
                guard ["yes", "no"].contains(enabled) else { throw invalid("Enabled", "Enabled must be yes or no") }
                if enabled == "no" { continue }
            }
            guard let types = stanza["Types"]?.words, !types.isEmpty else {
                throw invalid("Types", "stanza has no Types field")
            }
            guard types.contains("deb") else { continue }
            guard let uris = stanza["URIs"]?.words, !uris.isEmpty else {
                throw invalid("URIs", "stanza has no URIs field")
            }
            guard let suites = stanza["Suites"]?.words, !suites.isEmpty else {
                throw invalid("Suites", "stanza has no Suites field")
            }
            let components = stanza["Components"]?.words ?? []
            let keyring = try stanza["Signed-By"].map { value in
                try AptSource.signedBy(value) { invalid("Signed-By", $0) }
            } ?? defaultKeyring
            let architectures = stanza["Architectures"]?.words ?? []
            for uri in uris {
                guard let url = URL(string: uri), url.scheme != nil else {
                    throw invalid("URIs", "\"\(uri)\" is not a URI")
                }
                for suite in suites {
                    try AptSource.checkFlat(suite: suite, components: components) { invalid("Suites", $0) }
                    result.append(AptSource(baseURL: url, suite: suite, components: components, keyring: keyring,
                                            architectures: architectures,
                                            declaredAt: "\(path):\(stanza.line)"))
                }
            }
        }
        return result
    }
}
