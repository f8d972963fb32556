import Foundation
import BuildPipeline
import Manifests
import Testing

@testable import HostImgCLI

@Suite("json format")
struct JSONRendererTests {
    @Test func documentHasTheStableTopLevelShape() throws {
        let json = try parseJSON(JSONRenderer().render(Sample.all, files: Sample.files))
        #expect(Set(json.keys) == ["version", "tool", "files", "summary", "diagnostics"])
        #expect(json["version"] as? Int == 1)
        #expect(json["tool"] as? String == "hostimg")
        #expect(json["files"] as? [String] == Sample.files)
        let summary = try #require(json["summary"] as? [String: Int])
        #expect(summary == ["errors": 1, "warnings": 1, "notes": 1])
    }

    @Test func everyDiagnosticHasAllFields() throws {
        let json = try parseJSON(JSONRenderer().render(Sample.all, files: Sample.files))
        let diagnostics = try #require(json["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == Sample.all.count)
        for (entry, diagnostic) in zip(diagnostics, Sample.all) {
            #expect(Set(entry.keys) == ["file", "line", "column", "severity", "rule", "message", "hint"])
            #expect(entry["file"] as? String == diagnostic.location.file)
            #expect(entry["line"] as? Int == diagnostic.location.line)
            #expect(entry["column"] as? Int == diagnostic.location.column)
            #expect(entry["severity"] as? String == diagnostic.severity.rawValue)
            #expect(entry["rule"] as? String == diagnostic.rule)
            #expect(entry["message"] as? String == diagnostic.message)
            if let hint = diagnostic.hint {
                #expect(entry["hint"] as? String == hint)
            } else {
                #expect(entry["hint"] is NSNull)
            }
        }
    }

    @Test func emptyRunIsACompleteDocument() throws {
        let text = JSONRenderer().render([], files: [])
        let json = try parseJSON(text)
        #expect((json["diagnostics"] as? [Any])?.isEmpty == true)
        #expect((json["files"] as? [Any])?.isEmpty == true)
        #expect(json["summary"] as? [String: Int] == ["errors": 0, "warnings": 0, "notes": 0])
        #expect(text.hasSuffix("}\n"))
    }

    @Test func outputIsPrettyWithSortedKeys() {
        let text = JSONRenderer().render([Sample.warning], files: ["manifests/hv.yaml"])
        #expect(text == """
            {
              "diagnostics": [
                {
                  "column": 3,
                  "file": "manifests/hv.yaml",
                  "hint": null,
                  "line": 20,
                  "message": "`vfio-pci` is listed twice",
                  "rule": "schema.duplicate-item",
                  "severity": "warning"
                }
              ],
              "files": [
                "manifests/hv.yaml"
              ],
              "summary": {
                "errors": 0,
                "notes": 0,
                "warnings": 1
              },
              "tool": "hostimg",
              "version": 1
            }

            """)
    }

    @Test func stringsSurviveTheRoundTrip() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t nul \u{0} esc \u{1B} slash / ünïcødé 🐧"
        let diagnostic = Diagnostic(
            .error, SourceLocation(file: "dir/ä b.yaml", line: 1, column: 1),
            rule: "schema.value", awkward, hint: awkward
        )
        let text = JSONRenderer().render([diagnostic], files: ["dir/ä b.yaml"])
        #expect(!text.contains("\u{1B}"))
        let json = try parseJSON(text)
        let entry = try #require((json["diagnostics"] as? [[String: Any]])?.first)
        #expect(entry["message"] as? String == awkward)
        #expect(entry["hint"] as? String == awkward)
        #expect(entry["file"] as? String == "dir/ä b.yaml")
    }

    @Test func jsonValueEscapesPerRFC8259() {
        #expect(JSONValue.string("a\"b\\c\u{8}\u{C}\n\r\t\u{1}\u{1F}").serialized == "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\"\n")
        #expect(JSONValue.array([]).serialized == "[]\n")
        #expect(JSONValue.object([:]).serialized == "{}\n")
        #expect(JSONValue.object(["b": .bool(true), "a": .null, "$": .int(-3)]).serialized == """
            {
              "$": -3,
              "a": null,
              "b": true
            }

            """)
    }
}
