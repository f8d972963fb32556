import BootEntries
import ByteCodec
import FAT
import GPT
import Manifests
import Crypto
import PE

/// What the build puts on the ESP (FORMATS.md "PE/COFF, Authenticode, FAT"; ARCHITECTURE.md
/// "Boot and switch"):
///
/// ```
/// EFI/BOOT/BOOTX64.EFI                 systemd-boot (the removable-media path firmware boots
///                                      with no boot entry in its variables)
/// EFI/systemd/systemd-bootx64.efi      systemd-boot (where bootctl and firmware entries expect it)
/// loader/loader.conf                   no menu, no editor, no auto entries
/// EFI/Linux/NAME_VERSION+TRIES.efi     slot A's UKI, counting its tries (BLS boot counting)
/// ```
///
/// systemd-boot 252 sorts UKIs by the `.osrel` IMAGE_ID, then IMAGE_VERSION newest first,
/// with entries that have no tries left (`+0`) last, and boots the first: the newest slot
/// that is good or still has tries.
enum ESPLayout {
    static let fallbackLoader = "EFI/BOOT/BOOTX64.EFI"
    static let loader = "EFI/systemd/systemd-bootx64.efi"
    static let loaderConfiguration = "loader/loader.conf"
    static let entriesDirectory = "EFI/Linux"

    /// `timeout 0`: no menu (a key held at boot still shows it); the editor is off because a
    /// edited command line could drop `roothash=`'s meaning (Secure Boot disables it anyway);
    /// no automatic entries (Windows, EFI shell, firmware setup) on a host.
    static let loaderConfigurationText = """
    timeout 0
    editor no
    auto-entries no
    auto-firmware no
    console-mode keep

    """

    /// The line loader.conf carries when the image is signed for Secure Boot (a comment to
    /// systemd-boot): `hostimg sign` of an image built `--unsigned` reads it to know that
    /// systemd-boot, the UKIs and their kernels need Authenticode signatures too.
    static let secureBootMarker = "# hostimg: boot.secureBoot (systemd-boot, each UKI and its kernel are signed for UEFI Secure Boot)"

    static func loaderConfiguration(secureBoot: Bool) -> String {
        loaderConfigurationText + (secureBoot ? secureBootMarker + "\n" : "")
    }

    /// The UKI files of `EFI/Linux` on `volume` (none when the directory is missing).
    static func ukiEntries(of volume: FAT.Volume) -> [FAT.DirectoryEntry] {
        ((try? volume.list(entriesDirectory)) ?? []).filter { !$0.isDirectory && $0.name.lowercased().hasSuffix(".efi") }
    }

    /// Whether `volume`'s loader.conf carries `secureBootMarker`.
    static func isSecureBootMarked(_ volume: FAT.Volume) -> Bool {
        let configuration = (try? volume.read(loaderConfiguration)) ?? []
        return String(decoding: configuration, as: UTF8.self).contains(secureBootMarker)
    }

    static func entryPath(label: String, tries: Int) -> String {
        entriesDirectory + "/" + BootEntryName.new(base: label, tries: tries).fileName
    }
}

/// The ESP's FAT file system, written natively into the image's first partition: systemd-boot
/// (signed for Secure Boot when the manifest asks) and slot A's UKI with its boot counter.
/// A tree without a kernel still gets a valid, empty file system.
struct ESPStage: BuildStage {
    static let name = StageName.esp

    func run(_ state: inout ImageState) async throws -> String {
        let options = state.options
        var files: [FAT.File] = []
        if let boot = state.boot, let uki = state.uki, let entry = boot.espEntry {
            var loader = try state.treeFile(UKIStage.bootLoaderPath, package: "systemd-boot-efi", stage: Self.name)
            if options.secureBoot, let signer = options.signer {
                loader = try PE.Authenticode.sign(loader, key: signer.key, certificate: signer.certificate)
            }
            files = [
                FAT.File(path: ESPLayout.fallbackLoader, contents: loader),
                FAT.File(path: ESPLayout.loader, contents: loader),
                FAT.File(path: ESPLayout.loaderConfiguration, contents: Array(ESPLayout.loaderConfiguration(secureBoot: options.secureBoot).utf8)),
                FAT.File(path: entry, contents: uki),
            ]
        }
        let esp = state.espPartition
        let fatOptions = FAT.Options(volumeID: try state.ids.espVolumeID(), volumeLabel: "ESP",
                                     timestamp: options.sourceDateEpoch)
        // FATError.doesNotFit names the smallest size that holds the files.
        try FAT.write(files: files, directories: [ESPLayout.entriesDirectory], to: state.temporary,
                      at: esp.offset, size: esp.size, options: fatOptions)
        let bytes = files.reduce(UInt64(0)) { $0 + UInt64($1.contents.count) }
        return "\(files.count) files, \(Size.describe(bytes)) in \(Size.describe(esp.size)) (\(files.last?.path ?? "no UKI"))"
    }
}

extension ImageLayout.Identifiers {
    /// The ESP's FAT volume id (`blkid`'s "XXXX-XXXX"), from the seed like every identifier.
    public func espVolumeID() throws -> UInt32 {
        let bytes = try HMACSHA256.authenticationCode(for: Array("esp-volume-id".utf8), key: seed)
        return bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}
