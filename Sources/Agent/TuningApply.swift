import HostTuning
import SystemIO

/// The run-time half of the tuning (`hostimg-tuning.service`, early in every boot, before
/// sysinit.target and the network): hugepage pools pinned to a NUMA node, and each vfio
/// device bound to vfio-pci by PCI address. Every step is read back; a shortfall or a device
/// that will not bind is an error that names it, and the unit fails loudly (the health gate
/// then refuses to bless the slot).
public struct TuningApply: Sendable {
    public var promises: TuningPromises
    public var root: String
    public var modprobe: String

    public init(promises: TuningPromises, root: String = "", modprobe: String = "/usr/sbin/modprobe") {
        self.promises = promises
        self.root = root
        self.modprobe = modprobe
    }

    /// One line per step done; `problems` lists what failed.
    public struct Outcome: Sendable, Equatable {
        public var done: [String] = []
        public var problems: [String] = []
    }

    public func run() -> Outcome {
        var outcome = Outcome()
        allocateNodePools(&outcome)
        bindDevices(&outcome)
        return outcome
    }

    /// Writes each node pool's count to the node's `nr_hugepages` and reads it back.
    func allocateNodePools(_ outcome: inout Outcome) {
        for pool in promises.pools {
            guard let node = pool.node else { continue }
            let path = root + "/sys/devices/system/node/node\(node)/hugepages/hugepages-\(pool.sizeKB)kB/nr_hugepages"
            do {
                try SystemIO.writeAttribute(path, "\(pool.count)\n")
            } catch {
                outcome.problems.append("node \(node): cannot set \(pool.count) \(pool.sizeKB) kB pages: \(error)")
                continue
            }
            let got = (try? SystemIO.readFile(path, limit: 64)).flatMap { Int(String(decoding: $0, as: UTF8.self).trimmingWhitespace) }
            switch got {
            case pool.count?:
                outcome.done.append("node \(node): \(pool.count) \(pool.sizeKB) kB pages")
            case let got?:
                outcome.problems.append("node \(node): " + TuningChecks.shortfall(got: got, expected: pool.count, size: pool.sizeKB, place: "allocated"))
            case nil:
                outcome.problems.append("node \(node): cannot read back \(path)")
            }
        }
    }

    /// For each device: `driver_override` = vfio-pci (the udev rule normally set it before
    /// any driver loaded), off any other driver, probed, and read back.
    func bindDevices(_ outcome: inout Outcome) {
        guard !promises.vfioDevices.isEmpty else { return }
        let checks = TuningChecks(promises: promises, root: root)
        if !SystemIO.exists(root + "/sys/bus/pci/drivers/vfio-pci") {
            switch Result(catching: { try SystemIO.run(modprobe, ["vfio-pci"]) }) {
            case let .success(result) where !result.succeeded:
                outcome.problems.append("modprobe vfio-pci \(result.describe): \(result.text.trimmingWhitespace)")
                return
            case let .failure(error):
                outcome.problems.append("cannot run \(modprobe): \(error)")
                return
            default: break
            }
        }
        for address in promises.vfioDevices {
            let device = root + "/sys/bus/pci/devices/" + address
            guard SystemIO.exists(device) else {
                outcome.problems.append("\(address): no such PCI device on this host (check tuning.vfio.devices)")
                continue
            }
            do {
                try SystemIO.writeAttribute(device + "/driver_override", "vfio-pci\n")
                if let other = checks.driver(of: address), other != "vfio-pci" {
                    try SystemIO.writeAttribute(root + "/sys/bus/pci/drivers/\(other)/unbind", address)
                }
                if checks.driver(of: address) == nil {
                    try SystemIO.writeAttribute(root + "/sys/bus/pci/drivers_probe", address)
                }
            } catch {
                outcome.problems.append("\(address): \(error)")
                continue
            }
            let bound = checks.driver(of: address)
            if bound == "vfio-pci" {
                outcome.done.append("\(address): bound to vfio-pci")
            } else {
                outcome.problems.append("\(address): still \(bound.map { "on \($0)" } ?? "unbound") after the probe; is the IOMMU on (dmesg | grep -i vfio)?")
            }
        }
    }
}
