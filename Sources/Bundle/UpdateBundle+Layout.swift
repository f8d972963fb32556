extension UpdateBundle.Reader {
    /// One archive member: where its header starts, its data's size.
    public struct Member: Sendable, Equatable {
        public var name: String
        public var headerOffset: UInt64
        public var size: UInt64

        /// Where its data starts (right after the one-block header).
        public var dataOffset: UInt64 { headerOffset + UInt64(UpdateBundle.TarHeader.size) }
        /// Where the next member's header starts (the data padded to a whole block).
        public var end: UInt64 { dataOffset + (size + UInt64(UpdateBundle.TarHeader.size) - 1) / UInt64(UpdateBundle.TarHeader.size) * UInt64(UpdateBundle.TarHeader.size) }
    }

    /// The members in archive order, as the writer lays them out: the manifest, its
    /// signature when signed, then each payload in the manifest's order.
    public var members: [Member] {
        var sizes = [(UpdateBundle.manifestName, UInt64(manifestBytes.count))]
        if let signature { sizes.append((UpdateBundle.signatureName, UInt64(signature.count))) }
        sizes += manifest.payloads.map { ($0.file, $0.compressedSize) }
        var members: [Member] = []
        var offset: UInt64 = 0
        for (name, size) in sizes {
            let member = Member(name: name, headerOffset: offset, size: size)
            members.append(member)
            offset = member.end
        }
        return members
    }
}
