import SystemIO

/// The health gate (issue 13; AGENT.md, phase 4): a slot is healthy when systemd has no
/// failed unit, every tuning promise of `/usr/lib/hostimg/tuning.conf` holds on the running
/// kernel (`TuningChecks`), and every executable in `/etc/hostimg/health.d/` exits 0. It runs as
/// `hostimg-health.service`, ordered after multi-user.target and before
/// boot-complete.target, so "not degraded" means every unit the image enables has started.
///
/// The checks run in order (systemd, tuning, then health.d by file name) and all of them run
/// even after one failed, so the report names every reason at once.
public struct HealthGate: Sendable {
    public struct Check: Sendable, Equatable {
        /// `systemd` or `health.d/NAME`.
        public var name: String
        public var passed: Bool
        /// Why it failed (or what it saw), one line.
        public var summary: String
        /// What the program printed (its tail), for the journal.
        public var output: String
    }

    public struct Report: Sendable, Equatable {
        public var checks: [Check]
        public var passed: Bool { checks.allSatisfy(\.passed) }
        public var failed: [Check] { checks.filter { !$0.passed } }
    }

    public static let defaultDirectory = "/etc/hostimg/health.d"
    public static let unitName = "hostimg-health.service"

    /// systemctl on the host; a test points this at a script.
    public var systemctl: String
    public var directory: String
    /// Units not counted as failed: the gate's own unit (when an operator re-runs it after
    /// it failed, its earlier failure is not news).
    public var ignoredUnits: Set<String>
    /// Where /proc, /sys, /dev and the tuning file are read (normally ""); nil skips tuning.
    public var tuningRoot: String?

    public init(systemctl: String = "/usr/bin/systemctl", directory: String = defaultDirectory,
                ignoredUnits: Set<String> = [unitName], tuningRoot: String? = "") {
        self.systemctl = systemctl
        self.directory = directory
        self.ignoredUnits = ignoredUnits
        self.tuningRoot = tuningRoot
    }

    public func run() -> Report {
        Report(checks: [systemdCheck()] + tuningChecks() + directoryChecks())
    }

    /// The image's tuning promises read back from the running kernel; none when the image
    /// promises nothing.
    func tuningChecks() -> [Check] {
        guard let root = tuningRoot, let loaded = TuningChecks.load(root: root) else { return [] }
        switch loaded {
        case let .checks(checks): return checks.run()
        case let .unreadable(check): return [check]
        }
    }

    /// `systemctl list-units --state=failed,auto-restart`: any unit listed (but the ignored
    /// ones) fails the gate. A service waiting to be restarted after it failed counts as
    /// failed: at multi-user.target a crash-looping service is often between two tries, not
    /// yet given up on. systemctl that cannot answer fails the gate too (it never passes blind).
    func systemdCheck() -> Check {
        let arguments = ["list-units", "--all", "--state=failed,auto-restart", "--no-legend", "--plain", "--no-pager", "--full"]
        let result: SystemIO.ProcessResult
        do {
            result = try SystemIO.run(systemctl, arguments)
        } catch {
            return Check(name: "systemd", passed: false, summary: "cannot ask systemd for failed units: \(error)", output: "")
        }
        guard result.succeeded else {
            return Check(name: "systemd", passed: false, summary: "systemctl \(result.describe)", output: result.text)
        }
        let failed = Self.failedUnits(result.text).filter { !ignoredUnits.contains($0) }
        if failed.isEmpty {
            return Check(name: "systemd", passed: true, summary: "no failed units", output: "")
        }
        return Check(name: "systemd", passed: false,
                     summary: "degraded: \(failed.count) failed unit(s): \(failed.joined(separator: ", "))", output: result.text)
    }

    /// The unit names of `systemctl list-units --plain --no-legend` lines (first column; a
    /// leading "●" marker dropped).
    static func failedUnits(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).filter { $0 != "●" && $0 != "*" }
            return words.first.map(String.init)
        }
    }

    /// Each executable regular file of the directory, by name; none (or no directory) passes.
    func directoryChecks() -> [Check] {
        guard SystemIO.isDirectory(directory) else { return [] }
        let names: [String]
        do {
            names = try SystemIO.list(directory).sorted()
        } catch {
            return [Check(name: "health.d", passed: false, summary: "cannot list \(directory): \(error)", output: "")]
        }
        return names.compactMap { name -> Check? in
            guard !name.hasPrefix("."), !name.hasSuffix("~"), !name.hasSuffix(".dpkg-old") else { return nil }
            let path = directory + "/" + name
            guard let status = try? SystemIO.status(of: path), status.isRegularFile, status.mode & 0o111 != 0 else {
                return nil
            }
            return run(path, name: "health.d/\(name)")
        }
    }

    private func run(_ path: String, name: String) -> Check {
        do {
            let result = try SystemIO.run(path)
            let summary = result.succeeded ? "ok" : "\(path) \(result.describe)"
            return Check(name: name, passed: result.succeeded, summary: summary, output: result.text)
        } catch {
            return Check(name: name, passed: false, summary: "cannot run \(path): \(error)", output: "")
        }
    }
}
