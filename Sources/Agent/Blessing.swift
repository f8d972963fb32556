import BootEntries
import Slots
import SystemIO

/// Blessing (issue 13; AGENT.md "Boot counting must be right on both paths"): after the
/// health gate passes, the running slot's UKI on the ESP loses its boot counter, so
/// systemd-boot keeps choosing it and never counts it down to bad.
///
/// The entry is found by the running root hash — the `roothash=` of /proc/cmdline matched
/// against the `.cmdline` section of each UKI in `EFI/Linux/` — never by
/// `LoaderBootCountPath` alone: after a kexec that EFI variable still names the entry the
/// firmware booted before, which may be the other slot.
public struct Blessing: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Renamed `from` → `to` (file names in the entries directory).
        case blessed(from: String, to: String)
        /// The running slot's entry has no counter already.
        case alreadyGood(String)
        /// No UKI boots this root hash (e.g. a direct kernel boot of a disk whose ESP holds
        /// another build): nothing to bless.
        case noEntry
    }

    /// `/efi/EFI/Linux` on a host.
    public var entriesDirectory: String
    /// Reads a UKI's `.cmdline` section (the PE reader on a host; a table in a test).
    public var commandLineOfUKI: @Sendable (String) throws -> String

    public init(entriesDirectory: String = "/efi/EFI/Linux",
                commandLineOfUKI: @escaping @Sendable (String) throws -> String) {
        self.entriesDirectory = entriesDirectory
        self.commandLineOfUKI = commandLineOfUKI
    }

    /// Blesses the entry that boots `rootHash`; throws when the directory cannot be read or
    /// the rename fails (the counter is then left as it was).
    public func bless(rootHash: [UInt8]) throws -> Outcome {
        let matches = try entries(booting: rootHash)
        if let good = matches.first(where: \.isGood) { return .alreadyGood(good.fileName) }
        guard let entry = matches.first else { return .noEntry }
        let blessed = entry.blessed.fileName
        do {
            try SystemIO.renameDurably(entriesDirectory + "/" + entry.fileName, to: entriesDirectory + "/" + blessed)
        } catch {
            throw AgentError.bless(entry: entry.fileName, reason: "\(error)")
        }
        return .blessed(from: entry.fileName, to: blessed)
    }

    /// The entries (UKIs with a parseable name) whose command line boots `rootHash`, in name
    /// order. A UKI that cannot be read is skipped: it cannot be the one that booted.
    public func entries(booting rootHash: [UInt8]) throws -> [BootEntryName] {
        let names: [String]
        do {
            names = try SystemIO.list(entriesDirectory).sorted()
        } catch {
            throw AgentError.entries(directory: entriesDirectory, reason: "\(error)")
        }
        return names.compactMap { name -> BootEntryName? in
            guard let entry = BootEntryName(fileName: name), entry.suffix.lowercased() == ".efi",
                  let commandLine = try? commandLineOfUKI(entriesDirectory + "/" + name),
                  RunningSlot.rootHash(commandLine: commandLine) == rootHash else { return nil }
            return entry
        }
    }
}

/// What the agent can fail on, each naming the file and the reason.
public enum AgentError: Error, Sendable, CustomStringConvertible {
    case entries(directory: String, reason: String)
    case bless(entry: String, reason: String)
    case commandLine(String)
    /// A slot that cannot be changed as asked (SlotEmptier).
    case slot(String)

    public var description: String {
        switch self {
        case let .entries(directory, reason):
            return "cannot read the boot entries in \(directory): \(reason) (is the ESP mounted at /efi?)"
        case let .bless(entry, reason):
            return "cannot bless \(entry): \(reason); its boot counter keeps running down"
        case let .commandLine(message), let .slot(message):
            return message
        }
    }
}
