#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ByteCodec
import DMVerity
import GPT
import Slots
import SystemIO

/// Signing a disk image: on a sparse copy under the image's temporary name, so the bytes
/// checked are the bytes signed and published, and the image itself is untouched until every
/// output of the run is ready.
extension ArtifactSigner {
    static func stageImage(_ path: String, identity: SigningIdentity, force: Bool, outputs: StagedOutputs) throws -> [Outcome] {
        let copy = outputs.temporary(for: path)
        try copySparse(path, to: copy)
        let partitions: [GPT.NumberedPartition]
        do {
            _ = try GPT.read(path: copy)  // the strict check: both headers, CRCs, geometry
            partitions = try GPT.readPrimary(path: copy)
        } catch {
            throw ImageError.input("\(path): \(error)")
        }
        let slots = SlotTable(partitions).slots
        let file = try SystemIO.File(path: copy, flags: O_RDWR)
        var outcomes: [Outcome] = []
        for slot in slots where slot.state == .written {
            try checkTree(of: slot, in: copy, name: path)
            let signatureOffset = slot.signature.partition.offset
            guard slot.signature.partition.size >= UInt64(VeritySignature.partitionSize) else {
                throw ImageError.input("\(path): slot \(slot.letter)'s verity-sig partition \(slot.signature.number) has \(slot.signature.partition.size) bytes, less than the \(VeritySignature.partitionSize) a signature takes; rebuild the image")
            }
            let existing = try VeritySignature.decode(try file.read(count: VeritySignature.partitionSize, at: signatureOffset))
            if let existing, !force {
                throw ImageError.input("\(path): slot \(slot.letter) is already signed (certificate \(existing.certificateFingerprint.prefix(16))…); pass --force to replace the signature")
            }
            let signature = try VeritySignature.sign(rootHash: slot.rootHash, key: identity.key, certificate: identity.certificate)
            try file.write(try signature.encoded(), at: signatureOffset)
            outcomes.append(Outcome(path: path, rootHash: Hex.encode(slot.rootHash),
                                    action: existing == nil ? "signed slot \(slot.letter)" : "re-signed slot \(slot.letter)"))
        }
        guard !outcomes.isEmpty else { throw ImageError.input("\(path): no filled slot to sign") }
        try file.sync()
        // What firmware boots: each UKI's initrd gets the certificate (and Secure Boot signatures).
        if let esp = partitions.first(where: { $0.partition.type == GPT.PartitionType.esp })?.partition,
           let secureBoot = try restageESP(in: copy, partition: esp, identity: identity, name: path) {
            try file.sync()
            outcomes.append(Outcome(path: path, rootHash: outcomes[0].rootHash,
                                    action: secureBoot ? "certified and Secure Boot signed the ESP's UKIs and systemd-boot"
                                                       : "added the certificate to the ESP's UKIs"))
        }
        // An unsigned image types its verity-sig partitions as such (they are no signature
        // yet, and systemd-dissect refuses an empty one); now they are signatures.
        let changes = slots.map(\.signature).filter { $0.partition.type == Slot.unsignedSignatureType }
            .map { GPT.EntryChange(index: $0.number - 1, type: Slot.signatureType) }
        if !changes.isEmpty {
            do {
                _ = try GPT.update(path: copy, changes: changes)
            } catch {
                throw ImageError.input("\(path): cannot type the verity-sig partitions as signatures: \(error)")
            }
        }
        return outcomes
    }

    /// Checks every data and hash block of the slot's verity tree, top down from the root
    /// hash its PARTUUIDs carry, with the data bounded by the root partition (so a hostile
    /// superblock cannot make the check read past it, or overflow computing its size).
    static func checkTree(of slot: Slot, in path: String, name: String) throws {
        let root = slot.root.partition
        let verity = slot.verity.partition
        do {
            try DMVerity.verify(data: DMVerity.Region(path: path, offset: root.offset, length: root.size),
                                hash: DMVerity.Region(path: path, offset: verity.offset, length: verity.size),
                                rootHash: slot.rootHash)
        } catch let DMVerityError.rootHashMismatch(expected, computed, _) {
            throw ImageError.input("\(name): slot \(slot.letter)'s verity tree gives root hash \(computed), but its PARTUUIDs say \(expected); refusing to sign a root hash that was never checked (rebuild the image)")
        } catch {
            throw ImageError.input("\(name): slot \(slot.letter) does not verify, refusing to sign it: \(error)")
        }
    }

    /// Bytes per read of `copySparse`; a block of only zeros is left a hole.
    static let copyChunk = 1 << 20

    /// `source` into a new `target` of the same size and permissions, leaving every chunk
    /// that holds only zeros a hole (disk images are mostly holes), then fsynced.
    static func copySparse(_ source: String, to target: String) throws {
        let input = try SystemIO.File(path: source, flags: O_RDONLY)
        let status = try input.status()
        guard status.isRegularFile else {
            throw ImageError.input("\(source) is not a regular file; sign an image file (copy a device's image to a file first)")
        }
        let output = try SystemIO.File(path: target, flags: O_RDWR | O_CREAT | O_TRUNC, mode: 0o600)
        try output.truncate(to: status.size)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: copyChunk, alignment: 16)
        defer { buffer.deallocate() }
        var offset: UInt64 = 0
        while offset < status.size {
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(min(UInt64(copyChunk), status.size - offset))])
            try input.readExactly(into: chunk, at: offset)
            if !isZero(UnsafeRawBufferPointer(chunk)) { try output.write(UnsafeRawBufferPointer(chunk), at: offset) }
            offset += UInt64(chunk.count)
        }
        try output.setMode(mode_t(status.mode & 0o7777))
        try output.sync()
    }

    /// Whether every byte is zero, eight at a time.
    static func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let words = bytes.count / 8
        for index in 0..<words where bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) != 0 { return false }
        return bytes[(words * 8)...].allSatisfy { $0 == 0 }
    }
}
