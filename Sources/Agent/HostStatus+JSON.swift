import ByteCodec
import Slots

/// `hostimg-agent status --json`: one object, the fields below and nothing else, stable for
/// fleet tooling (docs/agent.md, "status"):
///
/// ```
/// {"disk":"/dev/vda",
///  "slots":[{"slot":"A","label":"qemu-dev_0.1.0","rootHash":"…","running":true,
///            "entry":"qemu-dev_0.1.0.efi","boot":"good","triesLeft":null}, …],
///  "lastSwitch":{"transaction":"…","name":"…","version":"…","rootHash":"…","previousRootHash":"…",
///                "targetSlot":"B","method":"kexec","result":"switched"|"installed"|"failed"|"rolled-back"|"open",
///                "reason":null|"…","interrupted":null|"install","blackoutSeconds":null|12.5,
///                "phases":[{"phase":"check","outcome":"done","reason":null,"at":1796041201.5,"bootId":"…"}],
///                "vms":[…]}   (HostStatus+VMs.swift; empty without VMs)
///               | null,
///  "journalProblem":null|"…"}
/// ```
extension HostStatus {
    public var json: String {
        let slotObjects = slots.map { slot in
            "{\"slot\":\(Self.quote(slot.letter)),\"label\":\(Self.quote(slot.label)),\"rootHash\":\(Self.quote(slot.rootHash)),"
                + "\"running\":\(slot.running),\"entry\":\(Self.quote(slot.entry)),\"boot\":\(Self.quote(slot.boot)),"
                + "\"triesLeft\":\(slot.triesLeft.map(String.init) ?? "null")}"
        }
        return "{\"disk\":\(Self.quote(disk)),\"slots\":[\(slotObjects.joined(separator: ","))],"
            + "\"lastSwitch\":\(journal.map(Self.json) ?? "null"),\"journalProblem\":\(Self.quote(journalProblem))}"
    }

    static func json(_ journal: SwitchJournal) -> String {
        let (result, reason): (String, String?)
        switch journal.result {
        case .switched?: (result, reason) = ("switched", nil)
        case .installed?: (result, reason) = ("installed", nil)
        case let .failed(text)?: (result, reason) = ("failed", text)
        case let .rolledBack(text)?: (result, reason) = ("rolled-back", text)
        case nil: (result, reason) = ("open", nil)
        }
        let phases = journal.steps.map { step -> String in
            let (outcome, why): (String, String?)
            switch step.outcome {
            case .started: (outcome, why) = ("started", nil)
            case .done: (outcome, why) = ("done", nil)
            case let .failed(text): (outcome, why) = ("failed", text)
            }
            return "{\"phase\":\(quote(step.phase.rawValue)),\"outcome\":\(quote(outcome)),\"reason\":\(quote(why)),"
                + "\"at\":\(SwitchJournal.format(step.at.seconds)),\"bootId\":\(quote(step.at.bootID))}"
        }
        return "{\"transaction\":\(quote(journal.transaction)),\"name\":\(quote(journal.name)),\"version\":\(quote(journal.version)),"
            + "\"rootHash\":\(quote(journal.rootHash)),\"previousRootHash\":\(quote(journal.previousRootHash)),"
            + "\"targetSlot\":\(quote(SlotTable.letter(journal.targetSlot))),\"method\":\(quote(journal.method.rawValue)),"
            + "\"result\":\(quote(result)),\"reason\":\(quote(reason)),\"interrupted\":\(quote(journal.interrupted?.rawValue)),"
            + "\"blackoutSeconds\":\(journal.blackout.map(SwitchJournal.format) ?? "null"),"
            + "\"phases\":[\(phases.joined(separator: ","))],\"vms\":\(vmsJSON(journal))}"
    }

    static func quote(_ text: String?) -> String { text.map(JSONString.quote) ?? "null" }
}
