/// The journal's text: one fact per line, first word the kind.
///
/// ```
/// hostimg-journal 1
/// transaction 3f9c0d2a5e41b7a8
/// bundle qemu-dev 0.2.0 ROOTHASH
/// previous ROOTHASH
/// target 1
/// method kexec
/// step check started 1796041200.125 BOOTID
/// step check done 1796041201.500 BOOTID
/// step install failed 1796041230.000 BOOTID root payload: SHA-256 mismatch
/// result failed install: root payload: SHA-256 mismatch
/// ```
///
/// A reason is the rest of its line (line breaks become spaces). A journal that does not
/// parse is an error the agent reports; it never guesses at a half-understood transaction.
extension SwitchJournal {
    public static let header = "hostimg-journal 1"

    public func encoded() -> String {
        var lines = [Self.header, "transaction \(transaction)", "bundle \(name) \(version) \(rootHash)",
                     "previous \(previousRootHash)", "target \(targetSlot)", "method \(method.rawValue)"]
        for step in steps {
            let when = "\(Self.format(step.at.seconds)) \(step.at.bootID)"
            switch step.outcome {
            case .started: lines.append("step \(step.phase.rawValue) started \(when)")
            case .done: lines.append("step \(step.phase.rawValue) done \(when)")
            case let .failed(reason): lines.append("step \(step.phase.rawValue) failed \(when) \(Self.oneLine(reason))")
            }
        }
        lines += encodedVMs()
        switch result {
        case .switched?: lines.append("result switched")
        case .installed?: lines.append("result installed")
        case let .failed(reason)?: lines.append("result failed \(Self.oneLine(reason))")
        case let .rolledBack(reason)?: lines.append("result rolled-back \(Self.oneLine(reason))")
        case nil: break
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func oneLine(_ text: String) -> String {
        let flat = String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
        return flat.isEmpty ? "-" : flat
    }

    /// Seconds with milliseconds, as text ("1796041200.125").
    public static func format(_ seconds: Double) -> String {
        let millis = Int64((seconds * 1000).rounded())
        let fraction = String(millis % 1000)
        return "\(millis / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    public static func parse(_ text: String) throws(JournalError) -> SwitchJournal {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard lines.first == header else { throw JournalError(line: 1, "not a hostimg journal (expected '\(header)')") }
        var fields: [String: [String]] = [:]
        var steps: [Step] = []
        var result: Result?
        var vms: [VM] = []
        for (index, line) in lines.enumerated().dropFirst() {
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let kind = words.first else { continue }
            switch kind {
            case "transaction", "bundle", "previous", "target", "method":
                guard fields[kind] == nil else { throw JournalError(line: index + 1, "'\(kind)' appears twice") }
                fields[kind] = Array(words.dropFirst())
            case "step": steps.append(try parseStep(words, line: index + 1))
            case "result": result = try parseResult(words, line: index + 1)
            case "vm": vms.append(try parseVM(words, line: index + 1))
            case "vmstep": try parseVMStep(words, line: index + 1, into: &vms)
            default: throw JournalError(line: index + 1, "unknown entry '\(kind)'")
            }
        }
        var journal = try assemble(fields, steps: steps, result: result)
        journal.vms = vms
        return journal
    }

    private static func assemble(_ fields: [String: [String]], steps: [Step], result: Result?) throws(JournalError) -> SwitchJournal {
        guard let transaction = fields["transaction"]?.first,
              let bundle = fields["bundle"], bundle.count == 3,
              let previous = fields["previous"]?.first,
              let targetText = fields["target"]?.first, let target = Int(targetText), target >= 0,
              let methodText = fields["method"]?.first, let method = Method(rawValue: methodText) else {
            throw JournalError(line: 0, "a transaction, bundle NAME VERSION ROOTHASH, previous, target or method line is missing or malformed")
        }
        var journal = SwitchJournal(transaction: transaction, name: bundle[0], version: bundle[1], rootHash: bundle[2],
                                    previousRootHash: previous, targetSlot: target, method: method)
        journal.steps = steps
        journal.result = result
        return journal
    }

    private static func parseStep(_ words: [String], line: Int) throws(JournalError) -> Step {
        guard words.count >= 5, let phase = Phase(rawValue: words[1]), let seconds = Double(words[3]), seconds.isFinite else {
            throw JournalError(line: line, "expected 'step PHASE started|done|failed SECONDS BOOTID [REASON]'")
        }
        let at = Moment(seconds: seconds, bootID: words[4])
        switch words[2] {
        case "started" where words.count == 5: return Step(phase: phase, outcome: .started, at: at)
        case "done" where words.count == 5: return Step(phase: phase, outcome: .done, at: at)
        case "failed" where words.count > 5:
            return Step(phase: phase, outcome: .failed(words[5...].joined(separator: " ")), at: at)
        default: throw JournalError(line: line, "'\(words[2])' is not started, done or failed REASON")
        }
    }

    private static func parseResult(_ words: [String], line: Int) throws(JournalError) -> Result {
        let reason = words.dropFirst(2).joined(separator: " ")
        switch (words.count > 1 ? words[1] : "", reason.isEmpty) {
        case ("switched", true): return .switched
        case ("installed", true): return .installed
        case ("failed", false): return .failed(reason)
        case ("rolled-back", false): return .rolledBack(reason)
        default: throw JournalError(line: line, "expected 'result switched|installed|failed REASON|rolled-back REASON'")
        }
    }
}

/// A journal that cannot be read: where and why.
public struct JournalError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String

    init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String {
        line > 0 ? "journal line \(line): \(message)" : "journal: \(message)"
    }
}
