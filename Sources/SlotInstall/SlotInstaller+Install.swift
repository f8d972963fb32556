import Agent
import Bundle
import ByteCodec
import DMVerity
import Glibc
import GPT
import Slots
import SystemIO

extension SlotInstaller {
    /// Phase 1 after a passed `check`: empty the target, write, read back, relabel, and last
    /// the slot's UKI into the ESP (the image's FAT volume offline, the emptier's mounted
    /// entries directory on a host). Returns the new entry's file name, nil when the bundle
    /// has no UKI.
    @discardableResult
    public func install(_ bundle: UpdateBundle.Reader, plan: Plan, emptier: SlotEmptier, runningRootHash: [UInt8]?) throws -> String? {
        guard let rootHash = Hex.decode(plan.rootHash), rootHash.count == 32 else {
            throw InstallError.refused("the bundle's root hash '\(plan.rootHash)' is not 32 bytes of hex")
        }
        // Offline (no mounted ESP): the target's old UKIs leave the image's ESP first.
        let volume = emptier.entriesDirectory == nil ? try espVolume() : nil
        if let volume {
            let table = try GPT.readRecovering(path: disk)
            let target = SlotTable(table.partitions).slots[plan.slotIndex]
            if target.state == .written {
                let removed = try removeEntries(booting: target.rootHash, from: volume)
                if !removed.isEmpty { report("install: removed \(removed.joined(separator: ", ")) from the ESP") }
            }
        }
        let emptied = try emptier.empty(slot: plan.slotIndex, runningRootHash: runningRootHash)
        report("install: slot \(plan.slotLetter) made unbootable (\(emptied.previousLabel) → \(Slot.emptyLabel)"
               + (emptied.removedEntries.isEmpty ? ")" : ", removed \(emptied.removedEntries.joined(separator: ", ")))"))
        let table = try GPT.readRecovering(path: disk)
        let slot = SlotTable(table.partitions).slots[plan.slotIndex]
        let sectorSize = table.sectorSize
        try write(bundle, into: slot, sectorSize: sectorSize)
        do {
            try DMVerity.verify(
                data: DMVerity.Region(path: disk, offset: slot.root.partition.offset(sectorSize: sectorSize),
                                      length: slot.root.partition.size(sectorSize: sectorSize)),
                hash: DMVerity.Region(path: disk, offset: slot.verity.partition.offset(sectorSize: sectorSize),
                                      length: slot.verity.partition.size(sectorSize: sectorSize)),
                rootHash: rootHash)
        } catch {
            throw InstallError.failed("reading slot \(plan.slotLetter) back through its verity tree: \(error)")
        }
        report("install: slot \(plan.slotLetter) reads back through its verity tree to root hash \(plan.rootHash.prefix(12))…")
        let label = Slot.label(name: plan.name, version: plan.version)
        let bound = Slot.boundUUIDs(rootHash: rootHash)
        _ = try GPT.update(path: disk, changes: [
            GPT.EntryChange(index: slot.root.number - 1, uuid: bound.root, name: label),
            GPT.EntryChange(index: slot.verity.number - 1, uuid: bound.verity, name: label),
            GPT.EntryChange(index: slot.signature.number - 1, name: label),
        ])
        report("install: slot \(plan.slotLetter) is \(label), found by its root hash")
        guard let uki = try uki(bundle, plan: plan) else {
            report("install: the bundle has no UKI: nothing was added to the ESP, firmware does not offer slot \(plan.slotLetter)")
            return nil
        }
        let entry: String
        if let volume {
            entry = try addEntry(uki, plan: plan, to: volume, timestamp: bundle.mtime)
        } else if let directory = emptier.entriesDirectory {
            entry = try addEntry(uki, plan: plan, toDirectory: directory)
        } else {
            return nil
        }
        report("install: \(SlotInstaller.entriesDirectory)/\(entry) added to the ESP: slot \(plan.slotLetter) can be booted now")
        return entry
    }

    /// Streams the root, hash tree and signature payloads into their partitions (each
    /// checked against the signed manifest as it passes) and fsyncs the disk.
    func write(_ bundle: UpdateBundle.Reader, into slot: Slot, sectorSize: UInt64) throws {
        let file = try SystemIO.File(path: disk, flags: O_RDWR)
        for (role, partition) in [(UpdateBundle.PayloadRole.root, slot.root), (.verity, slot.verity), (.veritySignature, slot.signature)] {
            let offset = partition.partition.offset(sectorSize: sectorSize)
            let room = partition.partition.size(sectorSize: sectorSize)
            var written: UInt64 = 0
            do {
                try bundle.streamPayload(role: role) { chunk in
                    guard written + UInt64(chunk.count) <= room else {
                        throw InstallError.failed("the \(role) payload outgrows partition \(partition.number)")
                    }
                    try file.write(chunk, at: offset + written)
                    written += UInt64(chunk.count)
                }
            } catch let error as InstallError {
                throw error
            } catch {
                throw InstallError.failed("writing the \(role) payload into partition \(partition.number): \(error)")
            }
            report("install: \(role) payload, \(written) bytes, into partition \(partition.number)")
        }
        try file.sync()
    }
}
