import ContentStore
import Foundation

/// Remembers what unpacking a .deb produced, keyed by the .deb's SHA-256, so a rebuild from
/// the same lock decompresses nothing: ARCHITECTURE.md's "every stage is cached under the hash
/// of its inputs". The cached value is the staged package (entries with content references,
/// control data); it is only used when every content it references is still in the store.
///
/// Layout: `<store>/unpacked/v2[-flat]/<sha256>.plist` (binary property list: compact and fast
/// to decode). The key is the .deb's object name when it lives in the store (objects are named
/// by their hash), else a hash of the file. A cache entry that cannot be read is ignored and
/// rewritten; nothing here can make a build fail.
struct UnpackCache {
    let store: ContentStore
    let mergedUsr: Bool

    /// Bump when `StagedPackage`'s encoding or the unpacker's output changes.
    static let version = "v2"

    private var directory: String {
        "\(store.root)/unpacked/\(Self.version)\(mergedUsr ? "" : "-flat")"
    }

    private func key(forDebAt path: String) -> String? {
        let name = (path as NSString).lastPathComponent
        if name.count == 64, name.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            return name
        }
        return nil
    }

    func load(debAt path: String) -> DebUnpacker.StagedPackage? {
        guard let key = key(forDebAt: path),
              let data = FileManager.default.contents(atPath: "\(directory)/\(key).plist"),
              let staged = try? PropertyListDecoder().decode(DebUnpacker.StagedPackage.self, from: data) else { return nil }
        for entry in staged.tree.entries {
            if let ref = entry.node.content, !store.contains(ref) { return nil }
        }
        return staged
    }

    func save(_ staged: DebUnpacker.StagedPackage, debAt path: String) {
        guard let key = key(forDebAt: path) else { return }
        let encoder = PropertyListEncoder()
        encoder.outputFormat = .binary
        guard let data = try? encoder.encode(staged) else { return }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? data.write(to: URL(fileURLWithPath: "\(directory)/\(key).plist"), options: .atomic)
    }
}
