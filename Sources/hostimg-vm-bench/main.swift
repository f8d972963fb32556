import Glibc
import SystemIO
import VMM

// `make bench`, issue 16: the blackout of a VM-preserving switch against guest RAM. For guests
// of 64 MiB, 512 MiB and 2 GiB (RAM filled with a pattern, so every page counts), the VM is
// paused and resumed with its RAM kept in place (a shared file in the directory that stands in
// for the preserved region: tmpfs here, DAX pmem on a host) and, beside it, with its RAM in the
// migration stream (anonymous memory saved to the state directory on disk: what a tool without
// preserved memory must do). Each is driven twice: by the agent's code (plan, journal,
// sentinel, parallel save, boot-time resume) and by the bare QEMU sequence (the floor), so the
// agent's own share is their difference. The kexec and the new kernel's boot are not here (the
// nested e2e's journal has them: `kexec to agent`). Median of --rounds rounds, each VM once per
// round.
//
// usage: hostimg-vm-bench [--sizes 64,512,2048] [--rounds 3] [--work DIR] [--preserved DIR] [--json]

struct Options {
    var sizes = [64, 512, 2048]
    var rounds = 3
    var work = "/var/tmp/hostimg-vm-bench"
    var preserved = "/dev/shm/hostimg-vm-bench"
    var json = false

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            switch argument {
            case "--sizes": sizes = (rest.popFirst() ?? "").split(separator: ",").compactMap { Int($0) }
            case "--rounds": rounds = rest.popFirst().flatMap(Int.init) ?? rounds
            case "--work": work = rest.popFirst() ?? work
            case "--preserved": preserved = rest.popFirst() ?? preserved
            case "--json": json = true
            case "--help", "-h":
                print("usage: hostimg-vm-bench [--sizes 64,512,2048] [--rounds 3] [--work DIR] [--preserved DIR] [--json]")
                exit(0)
            default:
                Self.fail("unknown argument \(argument); see --help", status: 2)
            }
        }
        guard !sizes.isEmpty, sizes.allSatisfy({ (2...3072).contains($0) }), rounds > 0 else {
            Self.fail("--sizes takes MiB from 2 to 3072, comma-separated; --rounds at least 1", status: 2)
        }
    }

    static func fail(_ message: String, status: Int32 = 1) -> Never {
        printError("hostimg-vm-bench: \(message)")
        exit(status)
    }
}

/// A line on standard error (progress and failures; the result goes to standard output).
func printError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

let options = Options(CommandLine.arguments)
for directory in [options.work, options.work + "/vms", options.work + "/state", options.preserved] {
    do { try SystemIO.makeDirectory(directory) } catch { Options.fail("cannot create \(directory): \(error)") }
}
defer { BenchReport.cleanUp(options) }

var samples: [BenchReport.Key: [(agent: BlackoutRun.Result, floor: BlackoutRun.Result)]] = [:]
for round in 0..<options.rounds {
    for megabytes in options.sizes {
        for mode in BlackoutRun.Mode.allCases {
            let run = BlackoutRun(work: options.work, preserved: options.preserved, megabytes: megabytes, mode: mode)
            do {
                let pair = try await BenchReport.measure(run)
                samples[BenchReport.Key(megabytes: megabytes, mode: mode), default: []].append(pair)
                if !options.json {
                    printError("round \(round + 1)/\(options.rounds): \(megabytes) MiB \(mode): agent \(BenchReport.show(pair.agent.blackout)) s, "
                               + "floor \(BenchReport.show(pair.floor.blackout)) s")
                }
            } catch {
                await run.stop()
                Options.fail("\(megabytes) MiB \(mode): \(error)")
            }
        }
    }
}
print(options.json ? BenchReport.json(samples, options: options) : BenchReport.table(samples, options: options))
