/// `/proc/self/mountinfo`, one entry per mount (proc(5)):
///
/// ```
/// 36 35 259:0 / /run/hostimg/preserved rw,nosuid,nodev,relatime shared:9 - ext4 /dev/pmem0 rw,dax=always
/// ID PARENT MAJ:MIN ROOT MOUNTPOINT     OPTIONS                  [OPTIONAL...] - TYPE SOURCE SUPER-OPTIONS
/// ```
struct MountTable: Sendable {
    struct Entry: Sendable, Equatable {
        var mountPoint: String
        var type: String
        var source: String
        /// The file system's own options (`dax=always`, `pagesize=2M`).
        var superOptions: [String]
    }

    var entries: [Entry]

    init(_ text: String) {
        entries = text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ").map(String.init)
            guard words.count > 4, let dash = words.firstIndex(of: "-"), dash > 4, dash + 3 < words.count else { return nil }
            return Entry(mountPoint: words[4], type: words[dash + 1], source: words[dash + 2],
                         superOptions: words[dash + 3].split(separator: ",").map(String.init))
        }
    }

    /// The mount on top at `path` (the last one listed there), if any.
    func top(at path: String) -> Entry? { entries.last { $0.mountPoint == path } }
}
