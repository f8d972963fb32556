#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemIO

/// The outputs of one `build` or `sign`, written under temporary names beside their final
/// ones (`SystemIO.temporaryPath`: `DIR/.NAME.tmp-PID`) and renamed into place together, only
/// when every one of them was written: a run that fails leaves the previous outputs as they
/// were and no temporary file behind.
///
/// `commit` first checks that nothing but a regular file is in the way, moves the previous
/// outputs aside, renames the new ones in, and only then drops the previous ones; if a rename
/// fails half-way, what was renamed is undone and the previous outputs are moved back (should
/// moving one back fail as well, the error says where it was kept).
final class StagedOutputs {
    struct Output {
        var final: String
        var temporary: String
    }

    private(set) var outputs: [Output] = []

    init() {}

    /// The temporary name `final` is written under until `commit`; the same name each time.
    func temporary(for final: String) -> String {
        if let output = outputs.first(where: { $0.final == final }) { return output.temporary }
        let output = Output(final: final, temporary: SystemIO.temporaryPath(for: final))
        outputs.append(output)
        return output.temporary
    }

    /// Where the new bytes of `final` are until `commit` (for stages that read an output
    /// back, such as the bundle reading the image); `final` itself when it is not staged.
    func current(_ final: String) -> String {
        outputs.first { $0.final == final }?.temporary ?? final
    }

    /// Writes `bytes` as the new `final` (a complete, fsynced temporary file).
    func write(_ final: String, bytes: [UInt8], permissions: mode_t = 0o644) throws {
        try SystemIO.replace(temporary(for: final), with: bytes, permissions: permissions)
    }

    /// Removes every temporary file: the previous outputs stay as they were.
    func discard() {
        for output in outputs { SystemIO.removeIfPresent(output.temporary) }
        outputs = []
    }

    /// Renames every staged output into place (see the type's documentation).
    func commit() throws {
        defer { discard() }
        for output in outputs {
            if let status = try? SystemIO.status(of: output.final), !status.isRegularFile {
                throw StagedOutputsError("\(output.final) is in the way and is not a regular file; remove it or write the outputs elsewhere")
            }
        }
        var aside: [(final: String, previous: String)] = []
        var placed: [String] = []
        do {
            for output in outputs where SystemIO.exists(output.final) {
                let previous = SystemIO.temporaryPath(for: output.final) + ".previous"
                try SystemIO.rename(output.final, to: previous)
                aside.append((output.final, previous))
            }
            for output in outputs {
                try SystemIO.rename(output.temporary, to: output.final)
                placed.append(output.final)
            }
        } catch {
            for final in placed { SystemIO.removeIfPresent(final) }
            var kept: [String] = []
            for (final, previous) in aside {
                do {
                    try SystemIO.rename(previous, to: final)
                } catch {
                    kept.append("\(final) is kept as \(previous) (rename it back)")
                }
            }
            let previous = kept.isEmpty ? "the previous ones are back as they were" : "the previous ones are back but " + kept.joined(separator: ", ")
            throw StagedOutputsError("\(error); the new outputs were not put in place and \(previous)")
        }
        for (_, previous) in aside { SystemIO.removeIfPresent(previous) }
        for directory in Set(outputs.map { SystemIO.directory(of: $0.final) }).sorted() {
            try SystemIO.syncDirectory(directory)
        }
    }
}

/// Outputs that could not be put in place; the message names the path and the fix.
struct StagedOutputsError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
