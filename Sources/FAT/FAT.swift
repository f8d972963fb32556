/// FAT file systems (Microsoft, "FAT: General Overview of On-Disk Format", version 1.03,
/// 2000 — "fatgen103"), for the EFI System Partition (UEFI 2.10 §13.3: the ESP is FAT32, or
/// FAT12/16 on small media): a writer that lays out a whole file system from files in memory
/// into a region of a disk image, and a reader (`FAT.Volume`) that lists, reads and renames,
/// and adds and removes files in place.
///
/// Layout the writer produces, FAT32 (every size from about 33 MiB; 512-byte sectors):
///
/// ```
/// sector 0         ┌──────────────────────────────────┐
///                  │ boot sector                      │ EB 58 90, "MSWIN4.1", BPB (512 B/sector,
///                  │                                  │ 32 reserved, 2 FATs, media F8, root
///                  │                                  │ cluster 2, FSInfo 1, backup 6), volume
///                  │                                  │ id and label, a halt loop, 55 AA at 510
/// sector 1         ├──────────────────────────────────┤
///                  │ FSInfo                           │ "RRaA" … "rrAa", free count, next free
/// sectors 2-5      │ zero                             │
/// sector 6         │ backup boot sector (= sector 0)  │
/// sector 7         │ backup FSInfo (= sector 1)       │
/// sectors 8-31     │ zero                             │
/// sector 32        ├──────────────────────────────────┤
///                  │ FAT 1: a 32-bit entry a cluster  │ 0: 0FFFFFF8, 1: 0FFFFFFF, then the chains
/// 32 + F           ├──────────────────────────────────┤
///                  │ FAT 2: the same bytes            │
/// 32 + 2F          ├──────────────────────────────────┤ cluster 2
///                  │ root directory                   │ volume label entry, then the names
///                  │ every other directory, pre-order │ ".", "..", then the names
///                  │ every file, pre-order            │ each in consecutive clusters, the last
///                  │                                  │ cluster's tail zeroed
///                  │ free clusters                    │ not written (a fresh image reads zeros)
///                  └──────────────────────────────────┘
/// ```
///
/// Below that, FAT16 and then FAT12 (`FAT.Geometry.plan`): one reserved sector (the boot
/// sector, EB 3C 90), the two FATs of 16- or 12-bit entries, a fixed root directory of 512
/// entries (32 sectors), then the data area from cluster 2 as above.
///
/// In a directory every name is one short entry (32 bytes, an 8.3 name), preceded by
/// long-name entries (13 UTF-16 units each, last first, with the short name's checksum)
/// unless the name already is an upper-case 8.3 name (`EFI`, `BOOTX64.EFI`). Short names for
/// the others follow fatgen103's basis-name and numeric-tail rules (`QEMU-D~1.EFI`).
///
/// Same input, same bytes: names are sorted, clusters allocated in one deterministic order,
/// and the volume id and every timestamp come from `FAT.Options` (never the clock).
/// Every integer on disk is little-endian.
public enum FAT {}

extension FAT {
    /// The only logical sector size the writer produces; the reader accepts 512...4096.
    public static let sectorSize: UInt64 = 512

    /// The three FAT types. Which one a volume is follows from its cluster count alone
    /// (fatgen103 "FAT Type Determination"), except that a BPB with `BPB_FATSz16` = 0 is
    /// FAT32 whatever the count (as Linux and mtools read it).
    public enum Kind: String, Sendable, Codable, Hashable, CustomStringConvertible {
        case fat12 = "FAT12"
        case fat16 = "FAT16"
        case fat32 = "FAT32"

        public var description: String { rawValue }

        /// Bits of one FAT entry.
        var entryBits: Int {
            switch self {
            case .fat12: 12
            case .fat16: 16
            case .fat32: 32
            }
        }

        /// The most clusters a volume of this type can have (fatgen103: fewer than 4085 is
        /// FAT12, fewer than 65525 FAT16; FAT32 entries are 28 bits, 0x0FFFFFF5 the last).
        var maximumClusters: UInt32 {
            switch self {
            case .fat12: 4084
            case .fat16: 65524
            case .fat32: 0x0FFF_FFF5
            }
        }
    }

    /// What a written file system has in it: a summary for the build report.
    public struct WriteSummary: Sendable, Codable, Equatable {
        public var geometry: Geometry
        /// Clusters holding directories and files (the root directory included).
        public var usedClusters: UInt32
        /// Clusters left free (the FSInfo free count on FAT32).
        public var freeClusters: UInt32
        /// Files and directories written (the root not counted).
        public var files: Int
        public var directories: Int

        public init(geometry: Geometry, usedClusters: UInt32, freeClusters: UInt32, files: Int, directories: Int) {
            self.geometry = geometry
            self.usedClusters = usedClusters
            self.freeClusters = freeClusters
            self.files = files
            self.directories = directories
        }
    }

    /// Rounds `bytes` to a short size for messages: "128 MiB" when exact, else to a tenth
    /// ("33.5 MiB", "20.0 MiB"), "700 bytes" below a KiB.
    static func describe(bytes: UInt64) -> String {
        for (unit, name) in [(UInt64(1) << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")] where bytes >= unit {
            if bytes % unit == 0 { return "\(bytes / unit) \(name)" }
            let tenths = (bytes % unit * 10 + unit / 2) / unit
            return tenths == 10 ? "\(bytes / unit + 1).0 \(name)" : "\(bytes / unit).\(tenths) \(name)"
        }
        return "\(bytes) bytes"
    }
}
