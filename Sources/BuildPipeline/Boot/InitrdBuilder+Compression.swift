import Foundation
import Zstd

extension InitrdBuilder {
    /// How the initrd is compressed: the optimal parser (btopt) with a 3-byte minimum match,
    /// but one match candidate per position (searchLog 1) and small tables, in 2 MiB jobs
    /// overlapping an eighth of the window, over the build machine's cores. On the qemu-dev
    /// initrd (13 MB, 12 of them the static init) that is 4.55 MB for about 1.6 CPU-seconds,
    /// against 4.25 MB in 5.4 for plain level 19 and 4.9 MB in 0.3 for level 9: the optimal
    /// parser is what shrinks machine code, the deep search is what costs (docs/boot.md,
    /// "Size and speed", has the table).
    ///
    /// The bytes depend on the libzstd version and these fields, not on the number of cores
    /// (`Zstandard.Parameters`), so every build machine with the same libzstd makes the same initrd.
    public static var compression: Zstandard.Parameters {
        Zstandard.Parameters(
            level: 19, strategy: .binaryTreeOptimal, windowLog: 22, hashLog: 18, chainLog: 18, searchLog: 1,
            minMatch: 3, targetLength: 32, jobSize: 2 << 20, overlapLog: 6,
            workers: max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8)))
    }
}
