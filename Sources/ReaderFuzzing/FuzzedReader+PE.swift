import Crypto
import PE

extension FuzzedReader {
    /// What hosts, `verify` and `sign` do with a PE image from an ESP or a bundle: parse it,
    /// read every section (the agent reads each UKI's `.cmdline`), compute the Authenticode
    /// digest, extract the signature and verify it against the certificate, and take a UKI
    /// apart and assemble it again (`hostimg sign` swaps its initrd that way). Every step
    /// runs once the image parses; the first error is thrown.
    static func peImage(_ bytes: [UInt8], _ certificate: Certificate?) throws {
        let image = try PE.Image(bytes)
        for section in image.sections { _ = image.section(named: section.name) }
        _ = image.section(named: PE.UKI.Section.cmdline.rawValue).map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var errors = FirstError()
        errors.attempt { _ = try PE.Authenticode.digest(of: bytes) }
        if image.certificateTable != nil {
            errors.attempt { _ = try PE.Authenticode.signature(of: bytes) }
        }
        if let certificate {
            errors.attempt { try PE.Authenticode.verify(bytes, trusting: certificate) }
        }
        let parts = [PE.UKI.Section.linux, .cmdline].map(\.rawValue)
        if parts.contains(where: { image.sectionHeader(named: $0) != nil }) {
            errors.attempt {
                let (stub, sections) = try PE.UKI.disassemble(bytes)
                _ = try PE.UKI.assemble(stub: stub, sections: sections)
            }
        }
        try errors.check()
    }
}
