#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import BuildPipeline
import Manifests
import Synchronization

/// Draws build events: on a terminal one line that updates in place (stage, bar, bytes), in
/// CI and pipes one plain line per stage. Everything goes to stderr; results stay on stdout.
final class BuildProgress: Sendable {
    private let console: Console
    private let interactive: Bool
    private let state = Mutex(State())

    private struct State {
        var lastDraw: ContinuousClock.Instant?
        var lineOpen = false
    }

    init(console: Console, interactive: Bool) {
        self.console = console
        self.interactive = interactive
    }

    /// Interactive when stderr is a terminal and CI is not set.
    static func forProcess(console: Console) -> BuildProgress {
        let ci = console.environment["CI"].map { !$0.isEmpty && $0 != "false" } ?? false
        return BuildProgress(console: console, interactive: isatty(STDERR_FILENO) == 1 && !ci && console.environment["TERM"] != "dumb")
    }

    func handle(_ event: BuildEvent) {
        switch event {
        case let .stageStarted(name):
            if interactive { draw("\(name) …") }
        case let .stageFinished(name, seconds, summary):
            finishLine("\(name.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(String(format: "%6.2f", seconds)) s  \(summary)")
        case let .progress(stage, done, total, unit):
            guard interactive else { return }
            let now = ContinuousClock.now
            let due = state.withLock { state -> Bool in
                if let last = state.lastDraw, now - last < .milliseconds(100), done < total { return false }
                state.lastDraw = now
                return true
            }
            guard due else { return }
            let fraction = total == 0 ? 1 : min(1, Double(done) / Double(total))
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let amount = unit == .bytes ? "\(Size.describe(done)) / \(Size.describe(total))" : "\(done) / \(total)"
            draw("\(stage) [\(bar)] \(amount)")
        case let .warning(message):
            finishLine("warning: \(message)")
        }
    }

    private func draw(_ line: String) {
        state.withLock { $0.lineOpen = true }
        console.standardError("\r\u{1B}[2K" + line)
    }

    private func finishLine(_ line: String) {
        let open = state.withLock { state -> Bool in
            defer { state.lineOpen = false }
            return state.lineOpen
        }
        console.error((interactive && open ? "\r\u{1B}[2K" : "") + line)
    }
}
