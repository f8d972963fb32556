import ByteCodec
import ContentStore
import Crypto
import Foundation
import Zstd

/// Remembers the compressed initrd of an uncompressed one, so a rebuild with the same init,
/// modules and certificate does not compress again. A second measure, after making the
/// initrd small and its compression cheap: the first build of an initrd still compresses
/// (docs/boot.md gives both times).
///
/// The key is the SHA-256 of the cpio archive, the compression parameters and the libzstd
/// version, the three things the compressed bytes depend on. The value is a content-store
/// object, used only when it decompresses to exactly the archive, so a damaged or foreign
/// entry costs a compression, never a wrong initrd.
///
/// Layout: `<store>/initrd/v1/<key>` holding "<sha256> <size>" of the object. An entry that
/// cannot be read or written is ignored; nothing here can make a build fail.
struct InitrdCache {
    let store: ContentStore

    /// Bump when the entry's format changes.
    static let version = "v1"

    private var directory: String { "\(store.root)/initrd/\(Self.version)" }

    func key(archive: [UInt8], compression: Zstandard.Parameters) throws -> String {
        var hasher = try Crypto.SHA256()
        try hasher.update(archive)
        try hasher.update(Array("\ncompression \(compression)\nlibzstd \(Zstandard.libraryVersion)\n".utf8))
        return Hex.encode(try hasher.finalize())
    }

    func load(key: String, archive: [UInt8]) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: "\(directory)/\(key)") else { return nil }
        let fields = String(decoding: data, as: UTF8.self).split(separator: " ")
        guard fields.count == 2, let size = UInt64(fields[1].prefix { $0.isNumber }) else { return nil }
        let ref = ContentStore.Ref(sha256: String(fields[0]), size: size)
        guard store.contains(ref), let bytes = try? store.read(ref),
              let restored = try? Zstandard.decompress(bytes, limit: archive.count), restored == archive else { return nil }
        return bytes
    }

    func save(_ compressed: [UInt8], key: String) {
        guard let ref = try? store.put(compressed) else { return }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? Data("\(ref.sha256) \(ref.size)\n".utf8).write(to: URL(fileURLWithPath: "\(directory)/\(key)"), options: .atomic)
    }
}
