extension GPT {
    /// A table read the way a tool that repairs it reads it: from the primary copy when that
    /// is intact, else from the backup. This is the reader for a table that an interrupted
    /// `update` may have left with one torn copy: it returns the old or the new entries,
    /// never a mix. (`read` is the strict check that wants both copies intact and equal;
    /// `readPrimary` reads what the kernel reads at boot.)
    public struct RecoveredTable: Sendable, Hashable {
        public var diskGUID: GUID
        /// Bytes per LBA.
        public var sectorSize: UInt64
        /// Used entries of the copy read, numbered as the kernel numbers their partitions.
        public var partitions: [NumberedPartition]
        /// Where the entries come from: the primary when it is intact, else the backup.
        public var source: GPTError.Copy
        /// What is wrong with the other copy, or how it differs; nil when both are intact and
        /// describe the same entries.
        public var otherCopyProblem: String?

        public init(
            diskGUID: GUID, sectorSize: UInt64, partitions: [NumberedPartition], source: GPTError.Copy,
            otherCopyProblem: String?
        ) {
            self.diskGUID = diskGUID
            self.sectorSize = sectorSize
            self.partitions = partitions
            self.source = source
            self.otherCopyProblem = otherCopyProblem
        }
    }

    /// The table of `path` from whichever copy is intact (the primary first); throws when
    /// neither is. Entries are checked to lie in the usable area as `read` checks them.
    public static func readRecovering(path: String, sectorSize: UInt64? = nil) throws -> RecoveredTable {
        let file = try ImageFile(path: path, access: .read)
        let copies = try Copies(file: file, sectorSize: try resolveSectorSize(of: file, requested: sectorSize))
        let (copy, table) = try copies.trusted()
        return RecoveredTable(
            diskGUID: table.header.diskGUID, sectorSize: copies.sectorSize, partitions: try table.checkedEntries(),
            source: copy, otherCopyProblem: copies.otherCopyProblem)
    }

    /// Both copies of a table, each decoded and checked on its own, or the damage that kept
    /// it from decoding. A short file or a failed system call is thrown instead: those are
    /// not something the other copy can make up for.
    struct Copies {
        let sectorSize: UInt64
        let primary: Result<TableCopy, GPTError>
        let backup: Result<TableCopy, GPTError>

        init(file: ImageFile, sectorSize: UInt64) throws(GPTError) {
            self.sectorSize = sectorSize
            let fileSize = try file.size
            guard fileSize >= 2 * sectorSize else {
                throw .truncated(
                    path: file.path, fileSize: fileSize, what: "protective MBR and primary GPT header", needed: 2 * sectorSize)
            }
            let lastLBA = fileSize / sectorSize - 1
            try ProtectiveMBR.check(try file.read(at: 0, count: Int(sectorSize), what: "protective MBR"))
            primary = try Self.attempt { () throws(GPTError) in
                try TableCopy(file: file, copy: .primary, headerLBA: 1, lastLBA: lastLBA, sectorSize: sectorSize)
            }
            // An intact primary says where its backup is (a disk larger than the image it was
            // written from has it in the middle); without one, the last sector is the place.
            let backupLBA = (try? primary.get())?.header.alternateLBA ?? lastLBA
            backup = try Self.attempt { () throws(GPTError) in
                try TableCopy(file: file, copy: .backup, headerLBA: backupLBA, lastLBA: lastLBA, sectorSize: sectorSize)
            }
        }

        /// The copy to trust: the primary when intact (it is what the kernel reads), else the
        /// backup; throws `.primaryDamaged` naming both problems when neither is intact.
        func trusted() throws(GPTError) -> (GPTError.Copy, TableCopy) {
            switch (primary, backup) {
            case (.success(let table), _):
                return (.primary, table)
            case (.failure, .success(let table)):
                return (.backup, table)
            case (.failure(let primaryError), .failure(let backupError)):
                throw .primaryDamaged(primaryError, backupIntact: false, backupProblem: backupError.description)
            }
        }

        /// Why the copy `trusted` did not pick would not do (damaged, or other entries).
        var otherCopyProblem: String? {
            switch (primary, backup) {
            case (.success(let primaryTable), .success(let backupTable)):
                do {
                    try GPT.checkAgreement(primaryTable, backupTable)
                    return nil
                } catch {
                    return error.description
                }
            case (.success, .failure(let error)), (.failure(let error), .success):
                return error.description
            case (.failure, .failure):
                return nil
            }
        }

        /// `body`'s table, or its content damage as a failure; anything else is thrown.
        private static func attempt(_ body: () throws(GPTError) -> TableCopy) throws(GPTError) -> Result<TableCopy, GPTError> {
            do {
                return .success(try body())
            } catch let error where error.isContentDamage {
                return .failure(error)
            }
        }
    }
}
