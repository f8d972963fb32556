import ByteCodec

/// The VMs of the last switch in `status`: per VM its path, what became of it, its blackout
/// (stop → running again) and the parts: save (stop → state written), kexec to the agent's
/// start (the switch's, shared by every VM), restore (relaunch → running again).
///
/// JSON, one object per VM in `lastSwitch.vms`:
/// ```
/// {"name":"web1","path":"preserve"|"save"|"cold","state":"resumed"|"waiting"|"failed"|"stopped",
///  "reason":null|"…","blackoutSeconds":null|9.8,"saveSeconds":null|0.07,
///  "kexecToAgentSeconds":null|8.7,"restoreSeconds":null|0.4,
///  "events":[{"event":"stopped","at":1796041260.01,"bootId":"…","reason":null}, …]}
/// ```
extension HostStatus {
    static func vmState(_ vm: SwitchJournal.VM) -> String {
        guard let last = vm.steps.last else { return "planned" }
        switch last.event {
        case .resumed: return "resumed"
        case .failed: return "failed"
        case .stopped: return "stopped"
        default: return "waiting"
        }
    }

    static func vmsJSON(_ journal: SwitchJournal) -> String {
        let objects = journal.vms.map { vm -> String in
            let events = vm.steps.map { step in
                "{\"event\":\(quote(step.event.rawValue)),\"at\":\(SwitchJournal.format(step.at.seconds)),"
                    + "\"bootId\":\(quote(step.at.bootID)),\"reason\":\(quote(step.reason))}"
            }
            return "{\"name\":\(quote(vm.name)),\"path\":\(quote(vm.path.rawValue)),\"state\":\(quote(vmState(vm))),"
                + "\"reason\":\(quote(vm.failure)),\"blackoutSeconds\":\(number(vm.blackout)),"
                + "\"saveSeconds\":\(number(vm.saveSeconds)),\"kexecToAgentSeconds\":\(number(journal.blackout)),"
                + "\"restoreSeconds\":\(number(vm.restoreSeconds)),\"events\":[\(events.joined(separator: ","))]}"
        }
        return "[" + objects.joined(separator: ",") + "]"
    }

    static func number(_ value: Double?) -> String { value.map(SwitchJournal.format) ?? "null" }

    static func vmLines(_ journal: SwitchJournal) -> [String] {
        journal.vms.map { vm in
            var line = "  vm \(vm.name) (\(vm.path.rawValue)): \(vmState(vm))"
            if let reason = vm.failure { line += " (\(reason))" }
            if let blackout = vm.blackout {
                line += ", blackout \(SwitchJournal.format(blackout)) s"
                var parts: [String] = []
                if let save = vm.saveSeconds { parts.append("save \(SwitchJournal.format(save)) s") }
                if let kexec = journal.blackout { parts.append("kexec to agent \(SwitchJournal.format(kexec)) s") }
                if let restore = vm.restoreSeconds { parts.append("restore \(SwitchJournal.format(restore)) s") }
                if !parts.isEmpty { line += " (" + parts.joined(separator: ", ") + ")" }
            }
            return line
        }
    }
}
