import HostTuning

extension Tuning {
    /// `tuning.preservedMemory` (AGENT.md, "VM preservation"): a range of physical memory the
    /// kernel never uses as RAM (`memmap=SIZE!OFFSET`, a legacy pmem namespace at
    /// `/dev/pmem0`). Guest RAM kept there as DAX files survives a kexec, because the next
    /// kernel gets the same parameter from its slot's own command line and leaves the range
    /// alone too.
    ///
    /// ```
    /// physical address   0 ──── 16M ──── RAM ──── hole ──── 4G ═══ region ═══ 4G+SIZE ──── RAM
    ///                                                          offset (default 4G)
    /// ```
    public struct PreservedMemory: Sendable {
        public var size: Located<UInt64>
        /// nil: `defaultOffset`.
        public var offset: Located<UInt64>?
        public var location: SourceLocation

        public init(size: Located<UInt64>, offset: Located<UInt64>?, location: SourceLocation) {
            self.size = size
            self.offset = offset
            self.location = location
        }

        /// 4 GiB: the first address above the 32-bit PCI hole. On x86-64 the RAM that does not
        /// fit below the hole continues there, so on a host with enough memory the default
        /// needs no knowledge of the machine's memory map; it is also far from the firmware's
        /// and the boot loader's allocations, which sit below 4G.
        public static let defaultOffset: UInt64 = 4 << 30
        /// Where the agent mounts the region's DAX file system (`hostimg-preserved.service`).
        public static let mountPath = "/run/hostimg/preserved"
        /// Sizes and offsets are whole multiples of this: the kernel hot-plugs the region's
        /// page structures in 2 MiB sub-sections, and DAX maps files with 2 MiB pages.
        public static let alignment: UInt64 = 2 << 20
        /// Device DAX and 1 GiB mappings need the region to start on a 1 GiB boundary.
        public static let largeAlignment: UInt64 = 1 << 30

        /// The kernel modules that turn the region into a block device and mount it: the
        /// e820 pmem bus (`nd_e820`, with `libnvdimm` and `nd_btt` as its dependencies), the
        /// block driver (`nd_pmem`), device DAX for a region converted to devdax by ndctl
        /// (`dax_pmem`, `device_dax`) and the file system (`ext4`, built in or a module).
        public static let kernelModules = ["libnvdimm", "nd_e820", "nd_pmem", "dax_pmem", "device_dax", "ext4"]

        /// The offset in force: the written one, else `defaultOffset`.
        public var offsetValue: UInt64 { offset?.value ?? Self.defaultOffset }
        /// One past the region's last byte.
        public var end: UInt64 { offsetValue &+ size.value }

        /// `memmap=1G!4G`: sizes as the kernel's memparse reads them (K, M, G, T suffixes).
        public var kernelParameter: String { promise.kernelParameter }

        /// The region as the promises file records it for the agent.
        public var promise: TuningPromises.Preserved {
            TuningPromises.Preserved(size: size.value, offset: offsetValue, path: Self.mountPath)
        }

        /// "1G at 4G" (with "(default)" when the offset was not written), for messages.
        public var summary: String {
            "\(Size.format(size.value)) at \(Size.format(offsetValue))" + (offset == nil ? " (default offset)" : "")
        }
    }
}
