import BuildPipeline
import Manifests
import Testing

@testable import HostImgCLI

@Suite("text format")
struct TextRendererTests {
    @Test func plainLinesAreSwiftFormatStyle() {
        let text = TextRenderer(color: false).render(Sample.all, files: Sample.files)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines == [
            "manifests/hv.yaml:12:5: error: [hugepages.duplicate-size] two 1G pools on node 0",
            "  hint: merge them into one pool of 16 pages",
            "manifests/hv.yaml:20:3: warning: [schema.duplicate-item] `vfio-pci` is listed twice",
            "hardware/r650.yaml:1:1: note: [cpus.coverage] CPU 63 is in no set",
            "",
        ])
    }

    @Test func withoutColorThereIsNoEscapeSequence() {
        let text = TextRenderer(color: false).render(Sample.all + [Sample.unknownRule], files: [])
        #expect(!text.contains("\u{1B}"))
    }

    @Test func noDiagnosticsRenderNothing() {
        #expect(TextRenderer(color: true).render([], files: Sample.files) == "")
    }

    @Test func colorMarksLocationAndSeverity() {
        let renderer = TextRenderer(color: true)
        let esc = "\u{1B}["
        #expect(renderer.line(for: Sample.error)
            == "\(esc)1mmanifests/hv.yaml:12:5:\(esc)0m \(esc)1;31merror:\(esc)0m [hugepages.duplicate-size] two 1G pools on node 0")
        #expect(renderer.line(for: Sample.warning)
            == "\(esc)1mmanifests/hv.yaml:20:3:\(esc)0m \(esc)1;33mwarning:\(esc)0m [schema.duplicate-item] `vfio-pci` is listed twice")
        #expect(renderer.line(for: Sample.note)
            == "\(esc)1mhardware/r650.yaml:1:1:\(esc)0m \(esc)36mnote:\(esc)0m [cpus.coverage] CPU 63 is in no set")
        // The hint line stays plain.
        let text = renderer.render([Sample.error], files: [])
        #expect(text.hasSuffix("\n  hint: merge them into one pool of 16 pages\n"))
    }

    @Test func controlCharactersFromTheManifestAreEscaped() {
        let hostile = Diagnostic(
            .error, SourceLocation(file: "a\nb.yaml", line: 1, column: 2),
            rule: "schema.value", "value \"\u{1B}[2J\" is\r\nnot allowed\tok", hint: "bell\u{07}"
        )
        let text = TextRenderer(color: false).render([hostile], files: [])
        #expect(text == "a\\nb.yaml:1:2: error: [schema.value] value \"\\u{1B}[2J\" is\\r\\nnot allowed\tok\n  hint: bell\\u{7}\n")
        #expect(!text.contains("\u{1B}"))
    }

    @Test func emptyHintIsNotPrinted() {
        var diagnostic = Sample.warning
        diagnostic.hint = ""
        #expect(TextRenderer().render([diagnostic], files: []).split(separator: "\n").count == 1)
    }
}

@Suite("--color")
struct ColorModeTests {
    @Test func autoNeedsATerminal() {
        #expect(ColorMode.auto.enablesColor(isTerminal: true, environment: ["TERM": "xterm-256color"]))
        #expect(!ColorMode.auto.enablesColor(isTerminal: false, environment: ["TERM": "xterm-256color"]))
    }

    @Test func autoHonoursNoColorAndDumbTerminals() {
        #expect(!ColorMode.auto.enablesColor(isTerminal: true, environment: ["NO_COLOR": "1"]))
        // no-color.org: an empty NO_COLOR does not count.
        #expect(ColorMode.auto.enablesColor(isTerminal: true, environment: ["NO_COLOR": ""]))
        #expect(!ColorMode.auto.enablesColor(isTerminal: true, environment: ["TERM": "dumb"]))
    }

    @Test func alwaysAndNeverAreTakenAtTheirWord() {
        #expect(ColorMode.always.enablesColor(isTerminal: false, environment: ["NO_COLOR": "1", "TERM": "dumb"]))
        #expect(!ColorMode.never.enablesColor(isTerminal: true, environment: [:]))
    }

    @Test func commandLineColorFollowsTheTerminal() async {
        let engine = Sample.result([Sample.error])
        let piped = await hostimg(["lint", "/"], isTerminal: false, engine: engine)
        #expect(!piped.standardOutput.contains("\u{1B}"))
        let terminal = await hostimg(["lint", "/"], isTerminal: true, environment: ["TERM": "xterm"], engine: engine)
        #expect(terminal.standardOutput.contains("\u{1B}[1;31merror:"))
        let noColor = await hostimg(["lint", "/"], isTerminal: true, environment: ["NO_COLOR": "1"], engine: engine)
        #expect(!noColor.standardOutput.contains("\u{1B}"))
        let forced = await hostimg(["lint", "/", "--color", "always"], isTerminal: false, engine: engine)
        #expect(forced.standardOutput.contains("\u{1B}[1;31merror:"))
        let never = await hostimg(["lint", "/", "--color", "never"], isTerminal: true, engine: engine)
        #expect(!never.standardOutput.contains("\u{1B}"))
    }
}
