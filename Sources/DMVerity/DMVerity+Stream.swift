import ByteCodec
import Crypto

extension DMVerity {
    /// Checks a hash device and its data as two streams against a root hash: how an update
    /// bundle's verity and root payloads are checked while they are decompressed, before
    /// anything is written. First the hash device (superblock, then the tree top-down, each
    /// block against the level above and the top against the root hash), then the data
    /// (each group of data blocks against the level-1 digest of the level-0 block their
    /// digests make; the level-0 blocks themselves already matched level 1, so this is the
    /// same check as comparing each data digest, without keeping level 0).
    ///
    /// Memory: the level being received and the one above it, at most
    /// `maximumTreeMemory` (64 MiB, the upper levels of a 1 TiB root in 4 KiB blocks), plus
    /// one block of each kind. Sizes come from the superblock only after it matched the
    /// sizes the caller announces for both streams.
    public final class StreamVerifier {
        /// The most tree bytes held at once (`treeTooLarge` beyond).
        public static let maximumTreeMemory: UInt64 = 64 << 20

        let rootHash: [UInt8]
        let hashName: String
        let dataName: String
        let hashBytes: UInt64
        let dataBytes: UInt64

        var header: [UInt8] = []
        var state: HashState?
        var data: DataState?

        /// `hashBytes` and `dataBytes` are the streams' sizes (the payload sizes a manifest
        /// announces); the names appear in errors ("the verity payload of x.bundle").
        public init(rootHash: [UInt8], hashName: String, hashBytes: UInt64, dataName: String, dataBytes: UInt64) throws(DMVerityError) {
            guard rootHash.count == Parameters.digestSize else {
                throw .invalidRootHash("\(rootHash.count) bytes; a SHA-256 root hash is \(Parameters.digestSize) bytes")
            }
            self.rootHash = rootHash
            self.hashName = hashName
            self.dataName = dataName
            self.hashBytes = hashBytes
            self.dataBytes = dataBytes
        }

        /// The superblock, once the first 512 bytes of the hash stream arrived.
        public var superBlock: SuperBlock? { state?.superBlock }

        /// The next bytes of the hash device.
        public func consumeHash(_ chunk: UnsafeRawBufferPointer) throws {
            var rest = chunk[...]
            if state == nil {
                let take = min(SuperBlock.size - header.count, rest.count)
                header += rest.prefix(take)
                rest = rest.dropFirst(take)
                guard header.count == SuperBlock.size else { return }
                state = try HashState(verifier: self, superBlock: SuperBlock(decoding: header, path: hashName, offset: 0))
            }
            try state?.consume(UnsafeRawBufferPointer(rebasing: rest))
        }

        /// The hash stream ended: it must have been exactly the superblock block and the tree.
        @discardableResult
        public func finishHash() throws -> SuperBlock {
            guard let state, state.received == state.geometry.hashDeviceBytes else {
                let received = state?.received ?? UInt64(header.count)
                throw DMVerityError.truncated(path: hashName, offset: received, needed: hashBytes, fileSize: received)
            }
            data = try DataState(hash: state)
            return state.superBlock
        }

        /// The next bytes of the data, after `finishHash`.
        public func consumeData(_ chunk: UnsafeRawBufferPointer) throws {
            guard let data else {
                throw DMVerityError.invalidParameters("the data stream was given before the hash stream was finished")
            }
            try data.consume(chunk, name: dataName)
        }

        /// The data stream ended: it must have been exactly `data_blocks` blocks (each block
        /// was checked as it completed).
        public func finishData() throws {
            guard let data, data.received == dataBytes else {
                let received = data?.received ?? 0
                throw DMVerityError.truncated(path: dataName, offset: received, needed: dataBytes, fileSize: received)
            }
        }

        func fieldError(_ field: SuperBlock.Field, _ problem: String) -> DMVerityError {
            .superBlockField(path: hashName, offset: 0, field: field.name, fieldOffset: field.offset, problem: problem)
        }
    }
}
