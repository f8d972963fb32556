import Foundation

/// Checks a clear-signed `InRelease` with `gpgv` and hands back only the text the signature
/// covers, never the file as downloaded: anything outside the signed block (a prepended
/// "Release" an attacker added, trailing junk) is dropped by gpgv's `--output`.
///
/// The decision is taken from gpgv's machine-readable status lines (doc/DETAILS in GnuPG):
/// a `GOODSIG` with a `VALIDSIG` is required; `BADSIG`, `ERRSIG`/`NO_PUBKEY`, `EXPKEYSIG`,
/// `REVKEYSIG` and `NODATA` each map to their own error.
public struct SignatureVerifier: Sendable {
    public var gpgvPath: String

    public init(gpgvPath: String = "/usr/bin/gpgv") {
        self.gpgvPath = gpgvPath
    }

    /// Verifies `signed` (the bytes of an InRelease file fetched from `url`) against `keyring`
    /// and returns the signed text.
    public func verify(_ signed: [UInt8], from url: String, keyring: AptSource.Keyring) throws -> [UInt8] {
        let keyringName = keyring.description
        guard FileManager.default.isExecutableFile(atPath: gpgvPath) else {
            throw RepositoryError.verifierFailed(url: url, keyring: keyringName,
                                                 detail: "\(gpgvPath) is missing; install the gpgv package")
        }
        let scratch = try TemporaryDirectory(prefix: "hostimg-gpgv")
        defer { scratch.remove() }
        let keyrings = try materialize(keyring, url: url, in: scratch.path)

        let input = scratch.path + "/InRelease"
        let output = scratch.path + "/verified"
        guard FileManager.default.createFile(atPath: input, contents: Data(signed)) else {
            throw RepositoryError.verifierFailed(url: url, keyring: keyringName, detail: "cannot write \(input)")
        }
        var arguments: [String] = []
        for path in keyrings { arguments += ["--keyring", path] }
        arguments += ["--status-fd", "1", "--output", output, input]
        let result = try Subprocess.run(gpgvPath, arguments, in: scratch.path)
        try interpret(status: result.stdout, exitCode: result.status, stderr: result.stderr,
                      url: url, keyring: keyringName)
        guard let verified = FileManager.default.contents(atPath: output) else {
            throw RepositoryError.verifierFailed(url: url, keyring: keyringName,
                                                 detail: "gpgv reported a good signature but wrote no output")
        }
        return [UInt8](verified)
    }

    /// Keyring paths gpgv can read: existing binary keyrings as they are; armored ones
    /// (`.asc` files, inline Signed-By blocks) converted to binary in the scratch directory,
    /// because gpgv only reads binary keyrings.
    func materialize(_ keyring: AptSource.Keyring, url: String, in directory: String) throws -> [String] {
        switch keyring {
        case let .inline(armored):
            let path = directory + "/inline.gpg"
            guard let binary = Armor.decode(armored),
                  FileManager.default.createFile(atPath: path, contents: Data(binary)) else {
                throw RepositoryError.verifierFailed(url: url, keyring: keyring.description,
                                                     detail: "the inline key block is not valid ASCII armor")
            }
            return [path]
        case let .files(paths):
            guard !paths.isEmpty else {
                throw RepositoryError.keyringMissing(keyring: "(none configured)", url: url)
            }
            var result: [String] = []
            for (index, path) in paths.enumerated() {
                guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else {
                    throw RepositoryError.keyringMissing(keyring: path, url: url)
                }
                let text = String(decoding: data.prefix(64), as: UTF8.self)
                if text.hasPrefix("-----BEGIN PGP") {
                    let converted = "\(directory)/keyring-\(index).gpg"
                    guard let binary = Armor.decode(String(decoding: data, as: UTF8.self)),
                          FileManager.default.createFile(atPath: converted, contents: Data(binary)) else {
                        throw RepositoryError.verifierFailed(url: url, keyring: path,
                                                             detail: "the armored keyring cannot be decoded")
                    }
                    result.append(converted)
                } else {
                    result.append(path)
                }
            }
            return result
        }
    }

    func interpret(status: String, exitCode: Int32, stderr: String, url: String, keyring: String) throws {
        // Collect every keyword first: gpgv reports ERRSIG and NO_PUBKEY together for an
        // unknown key, and the more specific one should win.
        var seen: [String: [String]] = [:]
        for line in status.split(separator: "\n") {
            let words = line.words
            guard words.count >= 2, words[0] == "[GNUPG:]" else { continue }
            seen[words[1]] = Array(words.dropFirst(2))
        }
        func keyID(_ keyword: String) -> String { seen[keyword]?.first ?? "?" }
        if seen["BADSIG"] != nil {
            throw RepositoryError.badSignature(url: url, keyring: keyring, detail: "BADSIG from key \(keyID("BADSIG"))")
        }
        if seen["NO_PUBKEY"] != nil {
            throw RepositoryError.unknownSigner(url: url, keyring: keyring, keyID: keyID("NO_PUBKEY"))
        }
        if let errsig = seen["ERRSIG"] {
            // ERRSIG <keyid> <pkalgo> <hashalgo> <sig_class> <time> <rc> [<fpr>]; rc 9 = no public key.
            if errsig.count > 5 && errsig[5] == "9" {
                throw RepositoryError.unknownSigner(url: url, keyring: keyring, keyID: keyID("ERRSIG"))
            }
            throw RepositoryError.badSignature(url: url, keyring: keyring,
                                               detail: "ERRSIG \(errsig.joined(separator: " "))")
        }
        if seen["EXPKEYSIG"] != nil {
            throw RepositoryError.untrustedSigner(url: url, keyring: keyring, detail: "key \(keyID("EXPKEYSIG")) has expired")
        }
        if seen["REVKEYSIG"] != nil {
            throw RepositoryError.untrustedSigner(url: url, keyring: keyring, detail: "key \(keyID("REVKEYSIG")) was revoked")
        }
        let good = seen["GOODSIG"] != nil, valid = seen["VALIDSIG"] != nil
        if exitCode == 0 && good && valid { return }
        if seen["NODATA"] != nil || (!good && !valid && !status.isEmpty) {
            throw RepositoryError.unsigned(url: url)
        }
        let message = stderr.trimmingSpaces
        throw RepositoryError.verifierFailed(url: url, keyring: keyring,
                                             detail: "exit status \(exitCode)" + (message.isEmpty ? "" : ": \(message)"))
    }
}

/// OpenPGP ASCII armor (RFC 4880 §6.2): header line, optional `Key: value` headers, a blank
/// line, base64 body, an optional `=XXXX` CRC-24 line, footer line. The CRC is not checked:
/// gpgv verifies the signatures the key material is used for.
enum Armor {
    static func decode(_ text: String) -> [UInt8]? {
        var body = ""
        var inBlock = false, inHeaders = false
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingSpaces.trimmingCharacters(in: .init(charactersIn: "\r"))
            if line.hasPrefix("-----BEGIN PGP") { inBlock = true; inHeaders = true; continue }
            guard inBlock else { continue }
            if line.hasPrefix("-----END PGP") { break }
            if inHeaders {
                if line.isEmpty { inHeaders = false; continue }
                if line.contains(": ") { continue }
                inHeaders = false
            }
            if line.hasPrefix("=") { continue }
            body += line
        }
        guard inBlock, !body.isEmpty, let data = Data(base64Encoded: body) else { return nil }
        return [UInt8](data)
    }
}
