extension LockFile {
    /// The lock as text: byte-identical for equal locks.
    public func serialized() throws -> String {
        var header = Deb822.Paragraph()
        header.fields = [
            .init(name: "Lock-Version", value: "1"),
            .init(name: "Request", value: try request.digest()),
            .init(name: "Essential", value: request.essential ? "yes" : "no"),
            .init(name: "Include", value: request.include.joined(separator: ", ")),
            .init(name: "Exclude", value: request.exclude.joined(separator: ", ")),
            // A leading empty line puts each repository on its own continuation line.
            .init(name: "Repositories", value: request.repositories.isEmpty ? "" : "\n" + request.repositories.joined(separator: "\n")),
        ]
        let packages = entries.map { entry in
            Deb822.Paragraph([
                .init(name: "Package", value: entry.package),
                .init(name: "Version", value: entry.version),
                .init(name: "Architecture", value: entry.architecture),
                .init(name: "Filename", value: entry.filename),
                .init(name: "Size", value: String(entry.size)),
                .init(name: "SHA256", value: entry.sha256),
                .init(name: "Origin", value: entry.origin),
                .init(name: "Selected-By", value: entry.selectedBy),
            ])
        }
        return Deb822.serialize([header] + packages)
    }

    /// Read a lock written by `serialized()` (or edited by hand, as long as it stays valid).
    public init(parsing text: String) throws {
        let paragraphs: [Deb822.Paragraph]
        do { paragraphs = try Deb822.parse(text) } catch { throw Error.syntax(error) }
        guard let header = paragraphs.first else { throw Error.empty }
        func required(_ paragraph: Deb822.Paragraph, _ field: String) throws -> String {
            guard let value = paragraph[field] else {
                throw Error.missingField(field: field, paragraphLine: paragraph.line)
            }
            return value
        }
        let version = try required(header, "Lock-Version")
        guard version == "1" else { throw Error.unsupportedVersion(version) }
        func names(_ value: String?) -> [String] {
            (value ?? "").split(separator: ",").map { String($0).trimmingBlanks() }.filter { !$0.isEmpty }
        }
        let repositories = (header["Repositories"] ?? "").split(separator: "\n").map { String($0).trimmingBlanks() }
            .filter { !$0.isEmpty }
        let request = Request(
            include: names(header["Include"]), exclude: names(header["Exclude"]),
            essential: (header["Essential"] ?? "yes") == "yes", repositories: repositories)
        let stored = try required(header, "Request")
        let computed = try request.digest()
        guard stored == computed else {
            throw Error.digestMismatch(stored: stored, computed: computed)
        }
        var entries: [Entry] = []
        for paragraph in paragraphs.dropFirst() {
            let name = try required(paragraph, "Package")
            let sizeText = try required(paragraph, "Size")
            guard let size = Int(sizeText), size >= 0 else { throw Error.badSize(package: name, value: sizeText) }
            entries.append(Entry(
                package: name, version: try required(paragraph, "Version"),
                architecture: try required(paragraph, "Architecture"),
                filename: try required(paragraph, "Filename"), size: size,
                sha256: try required(paragraph, "SHA256"), origin: try required(paragraph, "Origin"),
                selectedBy: try required(paragraph, "Selected-By")))
        }
        self.init(request: request, entries: entries)
    }
}
