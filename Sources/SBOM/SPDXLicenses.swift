/// Debian copyright-format short names (DEP-5 §"License specification", and names common in
/// Debian's archive) to SPDX license identifiers. Matching ignores case; `+` means "or later".
/// An expression of several names joined by "or" / "and" maps when every name does and the
/// two are not mixed (DEP-5 gives them no precedence); "with ... exception" does not map.
public enum SPDXLicenses {
    static let table: [String: String] = [
        "gpl-1": "GPL-1.0-only", "gpl-1+": "GPL-1.0-or-later",
        "gpl-2": "GPL-2.0-only", "gpl-2+": "GPL-2.0-or-later", "gpl-2.0": "GPL-2.0-only", "gpl-2.0+": "GPL-2.0-or-later",
        "gpl-3": "GPL-3.0-only", "gpl-3+": "GPL-3.0-or-later", "gpl-3.0": "GPL-3.0-only", "gpl-3.0+": "GPL-3.0-or-later",
        "lgpl-2": "LGPL-2.0-only", "lgpl-2+": "LGPL-2.0-or-later",
        "lgpl-2.1": "LGPL-2.1-only", "lgpl-2.1+": "LGPL-2.1-or-later",
        "lgpl-3": "LGPL-3.0-only", "lgpl-3+": "LGPL-3.0-or-later", "lgpl-3.0": "LGPL-3.0-only", "lgpl-3.0+": "LGPL-3.0-or-later",
        "agpl-3": "AGPL-3.0-only", "agpl-3+": "AGPL-3.0-or-later",
        "gfdl-1.2": "GFDL-1.2-only", "gfdl-1.2+": "GFDL-1.2-or-later", "gfdl-1.3": "GFDL-1.3-only", "gfdl-1.3+": "GFDL-1.3-or-later",
        "apache-2.0": "Apache-2.0", "apache-2": "Apache-2.0",
        "artistic": "Artistic-1.0-Perl", "artistic-1.0": "Artistic-1.0", "artistic-2.0": "Artistic-2.0",
        "bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause", "bsd-4-clause": "BSD-4-Clause",
        "expat": "MIT", "mit": "MIT", "mit/x11": "MIT", "postgresql": "PostgreSQL",
        "lgpl-2.0": "LGPL-2.0-only", "lgpl-2.0+": "LGPL-2.0-or-later", "isc": "ISC", "zlib": "Zlib", "x11": "X11", "curl": "curl",
        "mpl-1.1": "MPL-1.1", "mpl-2.0": "MPL-2.0", "cc0-1.0": "CC0-1.0", "cc0": "CC0-1.0",
        "cc-by-sa-3.0": "CC-BY-SA-3.0", "cc-by-4.0": "CC-BY-4.0", "cc-by-sa-4.0": "CC-BY-SA-4.0",
        "psf-2": "PSF-2.0", "python-2.0": "Python-2.0", "openssl": "OpenSSL", "ssleay": "OpenSSL",
        "boost-1.0": "BSL-1.0", "bsl-1.0": "BSL-1.0", "unicode-dfs-2016": "Unicode-DFS-2016",
        "fsfap": "FSFAP", "fsful": "FSFUL", "fsfullr": "FSFULLR", "bzip2-1.0.6": "bzip2-1.0.6",
        "wtfpl": "WTFPL", "0bsd": "0BSD", "unlicense": "Unlicense", "ofl-1.1": "OFL-1.1", "tcl": "TCL",
        "beerware": "Beerware", "libpng": "Libpng", "libpng-2.0": "libpng-2.0", "ijg": "IJG", "ntp": "NTP",
        "sleepycat": "Sleepycat", "zpl-2.1": "ZPL-2.1", "epl-1.0": "EPL-1.0", "epl-2.0": "EPL-2.0",
        "cddl-1.0": "CDDL-1.0", "mit-0": "MIT-0", "hpnd": "HPND", "ruby": "Ruby", "vim": "Vim",
    ]

    /// The SPDX expression for a Debian `License:` first line; nil when it does not map.
    public static func expression(debian text: String) -> String? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map { $0.lowercased() }
        guard !words.isEmpty, !words.contains("with") else { return nil }
        var operators = Set<String>()
        var names: [String] = []
        for word in words {
            if word == "or" || word == "and" {
                operators.insert(word.uppercased())
            } else {
                guard let spdx = table[word] else { return nil }
                names.append(spdx)
            }
        }
        guard operators.count <= 1 else { return nil }
        guard let op = operators.first else { return names.count == 1 ? names[0] : nil }
        guard names.count >= 2 else { return nil }
        return names.joined(separator: " \(op) ")
    }
}
