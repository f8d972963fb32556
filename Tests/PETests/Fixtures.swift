import ByteCodec
import Crypto
import Foundation
import TestSupport

/// The real binaries and tools the PE tests use. Each is optional: a test that needs one is
/// skipped with the reason below when it is missing (CI installs them all).
enum Fixtures {
    static let stubPath = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
    static let systemdBootPath = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
    static let noStub = "systemd-stub is not installed (apt-get install systemd-boot-efi)"
    static let noSystemdBoot = "systemd-boot is not installed (apt-get install systemd-boot-efi)"
    static let noKernel = "no readable /boot/vmlinuz-* (or HOSTIMG_TEST_KERNEL) to test a Debian-signed kernel with"

    static let stub = read(stubPath)
    static let systemdBoot = read(systemdBootPath)

    /// A Debian kernel: `HOSTIMG_TEST_KERNEL`, else the newest readable `/boot/vmlinuz-*`.
    static let kernelPath: String? = {
        if let path = ProcessInfo.processInfo.environment["HOSTIMG_TEST_KERNEL"], !path.isEmpty {
            return path
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []
        return names.filter { $0.hasPrefix("vmlinuz-") }.sorted().reversed().map { "/boot/" + $0 }
            .first { FileManager.default.isReadableFile(atPath: $0) }
    }()
    static let kernel = kernelPath.flatMap(read)

    static let objdump = Tools.find("objdump")
    static let sbverify = Tools.find("sbverify")
    static let sbsign = Tools.find("sbsign")
    static let openssl = Tools.find("openssl")
    static let noObjdump = "objdump is not installed (apt-get install binutils)"
    static let noSbsigntool = "sbverify/sbsign are not installed (apt-get install sbsigntool)"
    static let noOpenSSL = "the openssl CLI is not installed (apt-get install openssl)"

    static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    /// Sections that look like a real UKI's, with a small fake kernel.
    static let parts: [(name: String, data: [UInt8])] = [
        (".linux", [0x4D, 0x5A] + (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }),
        (".osrel", Array("ID=debian\nVERSION_ID=12\nPRETTY_NAME=\"hostimg test\"\n".utf8)),
        (".cmdline", Array("console=ttyS0 roothash=4392712ba01368efdf14b05c76f9e4df0d53664630b5d48632ed17a137f39076".utf8)),
        (".initrd", (0..<1536).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) }),
        (".uname", Array("6.1.0-47-amd64".utf8)),
    ]
}

/// A fresh key and self-signed certificate (RSA unless asked otherwise), kept in memory; the
/// upstream tools get them as PEM files in a scratch directory.
struct SigningIdentity {
    let key: PrivateKey
    let certificate: Certificate
    let scratch: ScratchDirectory

    init(_ commonName: String = "hostimg UKI test", keyType: DevelopmentIdentity.KeyType = .rsa2048) throws {
        let generated = try DevelopmentIdentity.generate(commonName: commonName, validityDays: 30, keyType: keyType)
        (key, certificate) = (try PrivateKey(pem: generated.privateKeyPEM), try Certificate(pem: generated.certificatePEM))
        scratch = try ScratchDirectory()
        _ = try write(Array(generated.privateKeyPEM.utf8), to: "key.pem")
        _ = try write(Array(generated.certificatePEM.utf8), to: "cert.pem")
    }

    var keyPath: String { scratch.path("key.pem") }
    var certificatePath: String { scratch.path("cert.pem") }

    /// `bytes` as the file `name` in the scratch directory; returns its path.
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let path = scratch.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `sbverify --cert` of `image` against this identity's certificate.
    func sbverify(_ image: [UInt8], name: String = "image.efi") throws -> Tools.Result {
        let path = try write(image, to: name)
        return try Tools.run(try toolPath(Fixtures.sbverify), ["--cert", certificatePath, path])
    }
}

func toolPath(_ path: String?) throws -> String {
    guard let path else { throw CocoaError(.fileNoSuchFile) }
    return path
}

/// A small PE32+ image built field by field: DOS header, 16 data directories and `sections`
/// (name, raw size) laid out one after another from `dataOffset` (SizeOfHeaders 0x200 by
/// default), FileAlignment 0x200, SectionAlignment 0x1000. Hostile-input tests damage it
/// where they like.
struct SyntheticPE {
    var sections: [(name: String, rawSize: Int)] = [(".text", 0x200), (".data", 0x400)]
    var sizeOfHeaders = 0x200
    var dataOffset = 0x200
    var magic: UInt16 = 0x20B

    static let lfanew = 0x40
    static let optional = lfanew + 24
    static let checkSum = optional + 64
    static let certificateEntry = optional + 112 + 4 * 8
    static let sectionTable = optional + 240

    func build() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: dataOffset)
        bytes[0] = 0x4D
        bytes[1] = 0x5A
        bytes.setInteger(UInt32(Self.lfanew), at: 0x3C, endianness: .little)
        bytes.replaceSubrange(Self.lfanew..<(Self.lfanew + 4), with: [0x50, 0x45, 0, 0])
        let coff = Self.lfanew + 4
        bytes.setInteger(UInt16(0x8664), at: coff, endianness: .little)
        bytes.setInteger(UInt16(sections.count), at: coff + 2, endianness: .little)
        bytes.setInteger(UInt16(240), at: coff + 16, endianness: .little)
        bytes.setInteger(UInt16(0x206), at: coff + 18, endianness: .little)
        let optional = Self.optional
        bytes.setInteger(magic, at: optional, endianness: .little)
        bytes.setInteger(UInt32(0x1000), at: optional + 32, endianness: .little)
        bytes.setInteger(UInt32(0x200), at: optional + 36, endianness: .little)
        bytes.setInteger(UInt32(sizeOfHeaders), at: optional + 60, endianness: .little)
        bytes.setInteger(UInt16(10), at: optional + 68, endianness: .little)  // EFI application
        bytes.setInteger(UInt32(16), at: optional + 108, endianness: .little)
        var offset = dataOffset
        var address = 0x1000
        for (index, section) in sections.enumerated() {
            let entry = Self.sectionTable + index * 40
            bytes.replaceSubrange(entry..<(entry + section.name.utf8.count), with: Array(section.name.utf8))
            bytes.setInteger(UInt32(section.rawSize), at: entry + 8, endianness: .little)
            bytes.setInteger(UInt32(address), at: entry + 12, endianness: .little)
            bytes.setInteger(UInt32(section.rawSize), at: entry + 16, endianness: .little)
            bytes.setInteger(UInt32(offset), at: entry + 20, endianness: .little)
            bytes.setInteger(UInt32(0x4000_0040), at: entry + 36, endianness: .little)
            offset += section.rawSize
            address += (section.rawSize + 0xFFF) & ~0xFFF
        }
        bytes.setInteger(UInt32(address), at: optional + 56, endianness: .little)
        bytes += (0..<(offset - dataOffset)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 5) }
        return bytes
    }
}
