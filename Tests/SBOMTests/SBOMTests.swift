import Foundation
import SBOM
import Testing
import TestSupport

/// The SBOM from a synthetic image: every package with its SHA-256, purl and declared license,
/// the kernel with its modules, the overlay files, relationships from the image; identical
/// bytes from identical input; and the SPDX project's own validator (pyspdxtools) accepts it.
@Suite struct SBOMTests {
    static let hex = String(repeating: "ab", count: 32)

    static var input: SBOMInput {
        SBOMInput(
            name: "qemu-dev", version: "0.1.0", rootHash: hex, sourceDateEpoch: 1_700_000_000, lockDigest: hex,
            toolVersion: "0.1.0",
            packages: [
                .init(name: "libstdc++6", version: "12.2.0-14", architecture: "amd64",
                      downloadLocation: "http://deb.debian.org/debian/pool/main/g/gcc-12/libstdc++6_12.2.0-14_amd64.deb",
                      sha256: hex, license: nil, selectedBy: "required by systemd"),
                .init(name: "adduser", version: "3.134", architecture: "all",
                      downloadLocation: "http://deb.debian.org/debian/pool/main/a/adduser/adduser_3.134_all.deb", sha256: hex,
                      license: DebianCopyright.declared(Self.dep5), selectedBy: "priority required"),
                .init(name: "linux-image-6.1.0-1-cloud-amd64", version: "1:6.1.4-1+b1", architecture: "amd64",
                      downloadLocation: "http://deb.debian.org/debian/pool/main/l/linux/x.deb", sha256: hex,
                      license: DebianCopyright.declared("free text, not DEP-5\n"), selectedBy: "kernel"),
                .init(name: "tzdata", version: "2024a-0+deb12u1", architecture: "all", downloadLocation: "http://deb.debian.org/t.deb",
                      sha256: hex, license: DebianCopyright.declared(
                        "Format: http://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: public-domain\n"),
                      selectedBy: "required by x"),
            ],
            kernel: .init(release: "6.1.0-1-cloud-amd64", package: "linux-image-6.1.0-1-cloud-amd64", modules: [
                .init(path: "/usr/lib/modules/6.1.0-1-cloud-amd64/kernel/drivers/vfio/vfio.ko", sha1: String(repeating: "cd", count: 20),
                      sha256: hex),
            ]),
            overlayFiles: [.init(path: "/etc/motd", sha1: String(repeating: "ef", count: 20), sha256: hex, comment: "from overlay:base")])
    }

    static let dep5 = """
        Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

        Files: *
        Copyright: 1997 Guy Maor
        License: GPL-2+
         This program is free software.
         .
         More text.

        Files: debian/*
        Copyright: 2000 Someone
        License: Expat

        """

    @Test func everyPartIsThereWithItsChecksumsAndRelationships() throws {
        let document = try SBOMBuilder.document(Self.input)
        #expect(document.packages.map(\.name) == ["qemu-dev", "adduser", "libstdc++6", "linux-image-6.1.0-1-cloud-amd64", "tzdata",
                                                   "linux", "qemu-dev-overlays"])
        #expect(document.packages.first { $0.name == "tzdata" }?.licenseDeclared == "LicenseRef-public-domain")
        #expect(document.hasExtractedLicensingInfos?.map(\.licenseId) == ["LicenseRef-public-domain"])
        let adduser = try #require(document.packages.first { $0.name == "adduser" })
        #expect(adduser.checksums?.first?.checksumValue == Self.hex && adduser.licenseDeclared == "GPL-2.0-or-later AND MIT")
        #expect(adduser.externalRefs?.first?.referenceLocator == "pkg:deb/debian/adduser@3.134?arch=all")
        let kernelPackage = try #require(document.packages.first { $0.name == "linux-image-6.1.0-1-cloud-amd64" })
        #expect(kernelPackage.licenseDeclared == "NOASSERTION" && kernelPackage.externalRefs?.first?.referenceLocator
                == "pkg:deb/debian/linux-image-6.1.0-1-cloud-amd64@1%3A6.1.4-1%2Bb1?arch=amd64")
        #expect(document.packages.first { $0.name == "libstdc++6" }?.SPDXID == "SPDXRef-deb-libstdc--6")
        #expect(document.files.map(\.fileName) == ["./usr/lib/modules/6.1.0-1-cloud-amd64/kernel/drivers/vfio/vfio.ko", "./etc/motd"])
        #expect(document.files.allSatisfy { $0.checksums.map(\.algorithm) == ["SHA1", "SHA256"] })
        let contains = document.relationships.filter { $0.relationshipType == "CONTAINS" }
        #expect(contains.filter { $0.spdxElementId == SBOMBuilder.imageID }.count == 6)  // 4 packages, the kernel, the overlays
        #expect(contains.contains { $0.spdxElementId == SBOMBuilder.overlaysID && $0.relatedSpdxElement == "SPDXRef-overlay-etc-motd" })
        #expect(contains.contains { $0.spdxElementId == SBOMBuilder.kernelID && $0.relatedSpdxElement.hasPrefix("SPDXRef-module-") })
        #expect(document.creationInfo.created == "2023-11-14T22:13:20Z")
        #expect(document.documentNamespace == "https://hostimg.invalid/spdx/qemu-dev/0.1.0/\(Self.hex)")
    }

    @Test func theSameInputGivesTheSameBytes() throws {
        #expect(try SBOMBuilder.encoded(try SBOMBuilder.document(Self.input)) == SBOMBuilder.encoded(try SBOMBuilder.document(Self.input)))
        var reordered = Self.input
        reordered.packages.reverse()
        #expect(try SBOMBuilder.encoded(try SBOMBuilder.document(reordered)) == SBOMBuilder.encoded(try SBOMBuilder.document(Self.input)))
    }

    @Test(.enabled(if: Tools.find("pyspdxtools") != nil, "pip install spdx-tools"))
    func theSPDXValidatorAcceptsIt() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("qemu-dev.spdx.json")
        try Data(try SBOMBuilder.encoded(try SBOMBuilder.document(Self.input))).write(to: URL(fileURLWithPath: path))
        let result = try Tools.run(try #require(Tools.find("pyspdxtools")), ["-i", path])
        #expect(result.status == 0, "\(result.stdoutText)\n\(result.stderr)")
        // And it fails on a broken document: the validator is really checking.
        var broken = try SBOMBuilder.document(Self.input)
        broken.relationships[0].relatedSpdxElement = "SPDXRef-nowhere"
        try Data(try SBOMBuilder.encoded(broken)).write(to: URL(fileURLWithPath: path))
        #expect(try Tools.run(try #require(Tools.find("pyspdxtools")), ["-i", path]).status != 0)
    }
}

/// Debian copyright files and license names to SPDX.
@Suite struct DebianCopyrightTests {
    @Test(arguments: [
        ("GPL-2+", "GPL-2.0-or-later"), ("Expat", "MIT"), ("BSD-3-clause", "BSD-3-Clause"), ("LGPL-2.1+", "LGPL-2.1-or-later"),
        ("Artistic or GPL-1+", "Artistic-1.0-Perl OR GPL-1.0-or-later"), ("GPL-2+ and LGPL-2.1+", "GPL-2.0-or-later AND LGPL-2.1-or-later"),
    ])
    func namesMap(debian: String, spdx: String) {
        #expect(SPDXLicenses.expression(debian: debian) == spdx)
    }

    @Test(arguments: ["public-domain", "GPL with Classpath exception", "GPL-2+ or AFL-2.1, and Expat", "BSD-variant", ""])
    func namesThatDoNotMapGiveNone(debian: String) {
        #expect(SPDXLicenses.expression(debian: debian) == nil)
    }

    @Test func aFreeTextOrUnmappableFileDeclaresNothingAndSaysWhy() {
        #expect(DebianCopyright.declared("This is free software.\n").expression == nil)
        let own = DebianCopyright.declared("""
            Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

            Files: *
            License: public-domain

            Files: lib/*
            License: GPL-2 with Linux-syscall-note exception

            License: public-domain
             The author places this in the public domain.
             .
             No rights reserved.

            """)
        #expect(own.expression == "LicenseRef-public-domain AND LicenseRef-GPL-2-with-Linux-syscall-note-exception")
        #expect(own.references["LicenseRef-public-domain"] == "The author places this in the public domain.\n\nNo rights reserved.")
        #expect(own.references["LicenseRef-GPL-2-with-Linux-syscall-note-exception"]?.contains("gives no text") == true)
    }

    /// Every machine-readable copyright file of this machine parses without a crash, and most map.
    @Test func theMachinesOwnCopyrightFilesParse() throws {
        let docs = "/usr/share/doc"
        var machineReadable = 0
        var mapped = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: docs)) ?? [] {
            guard let data = FileManager.default.contents(atPath: "\(docs)/\(name)/copyright") else { continue }
            let text = String(decoding: data, as: UTF8.self)
            guard text.contains("copyright-format/1.0") else { continue }
            machineReadable += 1
            if let expression = DebianCopyright.declared(text).expression, !expression.contains("LicenseRef-") { mapped += 1 }
        }
        try #require(machineReadable > 20, "too few machine-readable copyright files here to judge")
        #expect(Double(mapped) / Double(machineReadable) > 0.3, "\(mapped) of \(machineReadable) mapped")
    }
}
