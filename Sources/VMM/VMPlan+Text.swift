import SystemIO

/// The plan for a person: one line per VM, the switch's blackout, and the refusal.
///
/// ```
/// VM db (pid 99): 16 GiB RAM, save (16 GiB to /var/lib/hostimg/vm-state), predicted blackout 112.0 s
/// VM gpu (pid 7): 8 GiB RAM, cold: device vfio-pci (id=gpu0, host=0000:01:00.0) passes a host device through: ...
/// VM web (pid 1234): 4 GiB RAM, preserve (RAM stays in /run/hostimg/preserved), predicted blackout 12.0 s
/// predicted blackout of the switch: 112.0 s (the VMs are paused and resumed in parallel)
/// ```
extension VMPlan {
    /// One line per VM, then the switch's blackout and any notes.
    public var lines: [String] {
        var lines = entries.map(Self.line)
        if entries.isEmpty { lines.append("no VM to keep: no QMP socket was found") }
        if let predictedBlackout {
            lines.append("predicted blackout of the switch: \(Self.seconds(predictedBlackout)) (the VMs are paused and resumed in parallel)")
        }
        lines += notes.map { "note: \($0)" }
        return lines
    }

    /// `lines` joined, each ended by a newline.
    public var text: String { lines.map { $0 + "\n" }.joined() }

    static func line(_ entry: Entry) -> String {
        let pid = entry.pid.map { " (pid \($0))" } ?? ""
        let ram = entry.ramBytes > 0 ? "\(bytes(entry.ramBytes)) RAM, " : ""
        let blackout = entry.predictedBlackout.map { ", predicted blackout \(seconds($0))" } ?? ""
        let path: String
        switch entry.path {
        case .preserve:
            path = "preserve (RAM stays in \(entry.preservedFiles.map { SystemIO.directory(of: $0.path) }.first ?? "place"))"
        case .save:
            path = "save (\(bytes(entry.streamBytes)) to \(entry.stateFile.map { SystemIO.directory(of: $0) } ?? "the state partition"))"
        case let .cold(reasons):
            path = "cold: " + reasons.joined(separator: "; ")
        }
        return "VM \(entry.name)\(pid): \(ram)\(path)\(blackout)"
    }

    /// Why the switch does not go ahead, for the operator; nil when it may. Says that nothing
    /// was paused, names each cold VM and why, and which flag would let it go ahead.
    public var refusal: String? {
        guard isBlocked else { return nil }
        var lines = ["the switch is refused; nothing was paused:"]
        lines += refusals.map { "  - \($0)" }
        if !allowCold {
            lines += coldEntries.map { entry in
                "  - VM \(entry.name)\(entry.pid.map { " (pid \($0))" } ?? "") cannot be kept: " + entry.reasons.joined(separator: "; ")
            }
            if refusals.isEmpty {
                lines.append("--allow-cold lets the switch go ahead: cold VMs are then shut down before the kexec "
                    + "and started fresh with the same command line after it")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// "4 GiB", "1.5 GiB", "512 MiB", "300 KiB", "12 B": powers of 1024, one decimal when not whole.
    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var unit = 0
        while unit + 1 < units.count, count >= UInt64(1) << (10 * UInt64(unit + 1)) { unit += 1 }
        let size = UInt64(1) << (10 * UInt64(unit))
        if count % size == 0 { return "\(count / size) \(units[unit])" }
        let tenths = (Double(count) / Double(size) * 10).rounded() / 10
        return "\(tenths) \(units[unit])"
    }

    /// "12.0 s": one decimal.
    static func seconds(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) s"
    }
}
