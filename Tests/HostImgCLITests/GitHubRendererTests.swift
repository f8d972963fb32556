import Foundation
import BuildPipeline
import Manifests
import Testing

@testable import HostImgCLI

@Suite("github format")
struct GitHubRendererTests {
    @Test func oneCommandPerDiagnostic() {
        let text = GitHubRenderer().render(Sample.all, files: Sample.files)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines == [
            "::error file=manifests/hv.yaml,line=12,col=5,title=hugepages.duplicate-size::two 1G pools on node 0%0Ahint: merge them into one pool of 16 pages",
            "::warning file=manifests/hv.yaml,line=20,col=3,title=schema.duplicate-item::`vfio-pci` is listed twice",
            "::notice file=hardware/r650.yaml,line=1,col=1,title=cpus.coverage::CPU 63 is in no set",
            "",
        ])
    }

    @Test func noDiagnosticsRenderNothing() {
        #expect(GitHubRenderer().render([], files: Sample.files) == "")
    }

    @Test func messageEscapesPercentAndLineBreaks() {
        #expect(GitHubRenderer.escapeData("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b")
        // `%` is escaped first, so an existing `%0A` in the text stays literal.
        #expect(GitHubRenderer.escapeData("literal %0A") == "literal %250A")
    }

    @Test func propertiesAlsoEscapeColonAndComma() {
        #expect(GitHubRenderer.escapeProperty("c:/odd,name%.yaml\n") == "c%3A/odd%2Cname%25.yaml%0A")
    }

    @Test func pathsAreMadeRelativeToTheWorkspace() {
        let renderer = GitHubRenderer(paths: SourcePaths(root: "/home/runner/work/hosts", workingDirectory: "/home/runner/work/hosts/manifests"))
        var diagnostic = Sample.warning
        diagnostic.location.file = "./hv.yaml"
        #expect(renderer.command(for: diagnostic).hasPrefix("::warning file=manifests/hv.yaml,line=20,"))
        diagnostic.location.file = "/home/runner/work/hosts/kernels/6.1.yaml"
        #expect(renderer.command(for: diagnostic).hasPrefix("::warning file=kernels/6.1.yaml,"))
        diagnostic.location.file = "/etc/hostimg/hw.yaml"
        #expect(renderer.command(for: diagnostic).hasPrefix("::warning file=/etc/hostimg/hw.yaml,"))
    }

    @Test func hostileFileNameCannotBreakTheCommand() {
        let diagnostic = Diagnostic(
            .warning, SourceLocation(file: "dir/a,line=99:b.yaml", line: 7, column: 2),
            rule: "schema.value", "bad: 50% of\nthe pool", hint: "use 1,024"
        )
        let command = GitHubRenderer().command(for: diagnostic)
        #expect(command == "::warning file=dir/a%2Cline=99%3Ab.yaml,line=7,col=2,title=schema.value::bad: 50%25 of%0Athe pool%0Ahint: use 1,024")
        // Exactly one `::` separates the properties from the message.
        let afterCommand = command.dropFirst(2)
        #expect(afterCommand.components(separatedBy: "::").count == 2)
        #expect(!command.contains("\n"))
    }
}
