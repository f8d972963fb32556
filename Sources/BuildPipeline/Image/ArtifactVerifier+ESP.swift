import BootEntries
import ByteCodec
import Crypto
import FAT
import GPT
import PE
import Slots

/// What firmware would boot (issue 13): the ESP's FAT file system, systemd-boot, and each
/// UKI in `EFI/Linux`, whose `.cmdline` must boot a slot the table holds and whose
/// Authenticode signature (when there is one, or when loader.conf says the image is signed
/// for Secure Boot) must verify with the certificate.
extension ArtifactVerifier {
    static func verifyESP(_ table: GPT.Table, slots: [Slot], path: String, certificate: Certificate?,
                          into report: inout VerificationReport) {
        guard let esp = table.partitions.first(where: { $0.type == GPT.PartitionType.esp }) else {
            report.add("esp", .failed, "the table has no EFI system partition; firmware cannot boot this disk")
            return
        }
        let volume: FAT.Volume
        do {
            volume = try FAT.Volume(path: path, offset: esp.offset(sectorSize: table.sectorSize), size: esp.size(sectorSize: table.sectorSize))
        } catch {
            // Nothing on it can be trusted or not: the disk boots only by kexec or direct
            // kernel boot (as images before hostimg wrote the ESP did).
            report.add("esp", .warning, "no FAT file system (\(error)): firmware cannot boot this disk")
            return
        }
        let entries = ESPLayout.ukiEntries(of: volume)
        guard !entries.isEmpty else {
            report.add("esp", .skipped, "\(volume.kind), no UKI in \(ESPLayout.entriesDirectory) (an image without a kernel boots nothing)")
            return
        }
        let secureBoot = ESPLayout.isSecureBootMarked(volume)
        report.add("esp", .ok, "\(volume.kind), \(entries.count) UKI(s)\(secureBoot ? ", signed for Secure Boot" : "")")
        checkPE(part: "esp boot loader", read: { try volume.read(ESPLayout.fallbackLoader) }, required: secureBoot,
                certificate: certificate, into: &report)
        let written = slots.filter { $0.state == .written }
        for entry in entries {
            let part = "esp \(entry.name)"
            checkPE(part: part + " signature", read: { try volume.read(ESPLayout.entriesDirectory + "/" + entry.name) },
                    required: secureBoot, certificate: certificate, into: &report)
            do {
                let image = try PE.Image(try volume.read(ESPLayout.entriesDirectory + "/" + entry.name))
                guard let hash = RunningSlot.rootHash(commandLine: image.commandLine ?? "") else {
                    report.add(part, .failed, "its .cmdline has no roothash=: the initrd would not find a slot")
                    continue
                }
                let state = BootEntryName(fileName: entry.name).map { $0.isGood ? "good" : $0.isBad ? "bad (no tries left)" : "counting (\($0.counter?.left ?? 0) tries left)" } ?? "?"
                if let slot = written.first(where: { $0.rootHash == hash }) {
                    report.add(part, .ok, "boots slot \(slot.letter) (root hash \(Hex.encode(hash).prefix(16))…), \(state)")
                } else {
                    report.add(part, .failed, "boots root hash \(Hex.encode(hash)), which no written slot of the table carries")
                }
            } catch {
                report.add(part, .failed, "\(error)")
            }
        }
    }

    /// An Authenticode signature: checked with the certificate when there is one; a missing
    /// one fails only where Secure Boot asks for it.
    static func checkPE(part: String, read: () throws -> [UInt8], required: Bool, certificate: Certificate?,
                        into report: inout VerificationReport) {
        let bytes: [UInt8]
        let signed: Bool
        do {
            bytes = try read()
            signed = try PE.Image(bytes).certificateTable != nil
        } catch {
            report.add(part, .failed, "\(error)")
            return
        }
        guard signed else {
            report.add(part, required ? .failed : .skipped, required ? "not signed, but loader.conf says the image is signed for Secure Boot" : "not signed for Secure Boot")
            return
        }
        guard let certificate else {
            report.add(part, .skipped, "Authenticode-signed; pass --cert to check it")
            return
        }
        do {
            try PE.Authenticode.verify(bytes, trusting: certificate)
            report.add(part, .ok, "Authenticode signature verifies with \(certificate.subject)")
        } catch {
            report.add(part, .failed, "\(error)")
        }
    }
}
