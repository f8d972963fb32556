/// The VMs of a VM-preserving switch in the journal (AGENT.md, "VM preservation"): which VM
/// took which path, and each of its events with its time, so the boot-time agent knows which
/// VMs still wait to be resumed (on the new slot, or on the previous one after a rollback),
/// and `status` can give every VM's blackout and its parts.
///
/// ```
/// vm web1 preserve /run/hostimg/preserved/vms/web1.state
/// vmstep web1 stopped 1796041260.010 BOOTID
/// vmstep web1 saved 1796041260.085 BOOTID
/// vmstep web1 quit 1796041260.140 BOOTID
/// vmstep web1 relaunched 1796041301.200 BOOTID2
/// vmstep web1 resumed 1796041301.650 BOOTID2
/// vmstep db failed 1796041301.700 BOOTID2 sentinel: state file SHA-256 differs
/// ```
extension SwitchJournal {
    /// One VM of the switch.
    public struct VM: Sendable, Equatable {
        public enum Path: String, Sendable {
            /// RAM stays in the preserved region; only device state is saved.
            case preserve
            /// RAM goes into the migration stream on the state partition.
            case save
            /// Shut down before the kexec and started fresh after it.
            case cold
        }

        public enum Event: String, Sendable, CaseIterable {
            case stopped, saved, quit, relaunched, resumed, failed
        }

        public struct Step: Sendable, Equatable {
            public var event: Event
            public var at: Moment
            /// Why, for `failed`.
            public var reason: String?

            public init(event: Event, at: Moment, reason: String? = nil) {
                self.event = event
                self.at = at
                self.reason = reason
            }
        }

        public var name: String
        public var path: Path
        /// Where its device state (and for `save` its RAM) was written.
        public var stateFile: String
        public var steps: [Step] = []

        public init(name: String, path: Path, stateFile: String) {
            self.name = name
            self.path = path
            self.stateFile = stateFile
        }

        public func last(_ event: Event) -> Moment? { steps.last { $0.event == event }?.at }

        /// Stopped and not yet running again nor given up: the boot-time agent resumes it.
        public var awaitsResume: Bool {
            guard let last = steps.last else { return false }
            return last.event == .saved || last.event == .quit || last.event == .relaunched
        }

        /// Stop → running again, in seconds; nil until it resumed.
        public var blackout: Double? {
            guard let stopped = last(.stopped), let resumed = last(.resumed) else { return nil }
            return resumed.seconds - stopped.seconds
        }

        /// Stop → state written.
        public var saveSeconds: Double? {
            guard let stopped = last(.stopped), let saved = last(.saved) else { return nil }
            return saved.seconds - stopped.seconds
        }

        /// Relaunch → running again.
        public var restoreSeconds: Double? {
            guard let relaunched = last(.relaunched), let resumed = last(.resumed) else { return nil }
            return resumed.seconds - relaunched.seconds
        }

        /// The last failure's reason, if the VM's last event is a failure.
        public var failure: String? {
            guard let last = steps.last, last.event == .failed else { return nil }
            return last.reason ?? "failed"
        }
    }

    /// Appends `event` to the VM named `name` (nothing when there is none).
    public mutating func record(_ event: VM.Event, vm name: String, at moment: Moment, reason: String? = nil) {
        guard let index = vms.firstIndex(where: { $0.name == name }) else { return }
        vms[index].steps.append(VM.Step(event: event, at: moment, reason: reason))
    }

    /// The VMs still waiting to be resumed.
    public var vmsAwaitingResume: [VM] { vms.filter(\.awaitsResume) }

    func encodedVMs() -> [String] {
        var lines: [String] = []
        for vm in vms {
            lines.append("vm \(vm.name) \(vm.path.rawValue) \(vm.stateFile)")
        }
        for vm in vms {
            for step in vm.steps {
                let when = "\(Self.format(step.at.seconds)) \(step.at.bootID)"
                let reason = step.reason.map { " " + Self.oneLine($0) } ?? ""
                lines.append("vmstep \(vm.name) \(step.event.rawValue) \(when)\(reason)")
            }
        }
        return lines
    }

    static func parseVM(_ words: [String], line: Int) throws(JournalError) -> VM {
        guard words.count == 4, let path = VM.Path(rawValue: words[2]) else {
            throw JournalError(line: line, "expected 'vm NAME preserve|save|cold STATEFILE'")
        }
        return VM(name: words[1], path: path, stateFile: words[3])
    }

    static func parseVMStep(_ words: [String], line: Int, into vms: inout [VM]) throws(JournalError) {
        guard words.count >= 5, let event = VM.Event(rawValue: words[2]), let seconds = Double(words[3]), seconds.isFinite else {
            throw JournalError(line: line, "expected 'vmstep NAME EVENT SECONDS BOOTID [REASON]'")
        }
        guard let index = vms.firstIndex(where: { $0.name == words[1] }) else {
            throw JournalError(line: line, "vmstep names '\(words[1])', which no vm line declares")
        }
        let reason = words.count > 5 ? words[5...].joined(separator: " ") : nil
        vms[index].steps.append(VM.Step(event: event, at: Moment(seconds: seconds, bootID: words[4]), reason: reason))
    }
}
