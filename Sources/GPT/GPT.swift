/// Writing and reading GUID partition tables (UEFI 2.10, chapter 5.3 "GUID Partition Table
/// (GPT) Disk Layout") on image files, plus a planner that places partitions 1 MiB-aligned.
///
/// Layout with 512-byte sectors, 128 entries of 128 bytes (the only geometry written here):
///
/// ```
/// LBA 0          ┌─────────────────────────────────┐
///                │ protective MBR                  │ one entry: type 0xEE, first LBA 1,
///                │                                 │ size min(sectors - 1, 0xFFFFFFFF); 55 AA at 510
/// LBA 1          ├─────────────────────────────────┤
///                │ primary GPT header (92 bytes)   │ "EFI PART", revision 1.0, CRC32s,
///                │                                 │ MyLBA 1, AlternateLBA = last LBA
/// LBA 2...33     ├─────────────────────────────────┤
///                │ partition entry array           │ 128 × 128 bytes: type GUID, unique GUID,
///                │                                 │ first/last LBA, attributes, UTF-16LE name
/// LBA 34         ├─────────────────────────────────┤ FirstUsableLBA
///                │ partitions (1 MiB aligned)      │ contents are written by the caller
/// LBA n-34       ├─────────────────────────────────┤ LastUsableLBA
/// LBA n-33...n-2 ├─────────────────────────────────┤
///                │ backup partition entry array    │ same bytes as the primary array
/// LBA n-1        ├─────────────────────────────────┤
///                │ backup GPT header               │ MyLBA n-1, AlternateLBA 1
///                └─────────────────────────────────┘
/// ```
///
/// With 4096-byte logical sectors (a 4Kn disk) the same layout counts in 4096-byte LBAs: the
/// entry array takes LBA 2-5 and the first usable LBA is 6. Every function takes the sector
/// size of an image file as a parameter (512 by default) and asks a block device for its own
/// (BLKSSZGET); 512-byte output is what it always was.
///
/// Every integer on disk is little-endian; GUIDs are stored "mixed-endian" (their first three
/// fields little-endian, the last eight bytes as written). The writer touches only the table
/// sectors, so it can run before or after the partitions are filled. The reader checks every
/// signature, size and CRC32 against both copies and reports the first disagreement as a
/// `GPTError`; offsets and counts are bounded by the file size before they are used.
///
/// Writes (`write`, and `update`, which changes entries of a table in place) put the backup
/// copy on the disk and fsync it before they touch the primary, so a crash leaves one intact
/// copy with the old or the new table; `readRecovering` reads whichever is intact. All I/O
/// goes through SystemIO, whose funnel the crash tests replace.
public enum GPT {}
