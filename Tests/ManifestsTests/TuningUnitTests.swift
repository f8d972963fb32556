import Foundation
import HostTuning
import Testing
import TestSupport
@testable import Manifests

/// The systemd side of the tuning render: mount unit names as systemd escapes them, and the
/// rendered units as `systemd-analyze verify` reads them.
@Suite("Tuning systemd units")
struct TuningUnitTests {
    @Test("mount unit names follow systemd-escape --path --suffix=mount", arguments: [
        ("/dev/hugepages", "dev-hugepages.mount"),
        ("/dev/hugepages1G", "dev-hugepages1G.mount"),
        ("/dev/huge-pages", #"dev-huge\x2dpages.mount"#),
        ("/", "-.mount"),
        ("/.x", #"\x2ex.mount"#),
        ("/dev//hugepages/", "dev-hugepages.mount"),
        ("/a b/é", #"a\x20b-\xc3\xa9.mount"#),
        ("/x:y_z.w", "x:y_z.w.mount"),
        (#"/a\b"#, #"a\x5cb.mount"#),
        ("/-", #"\x2d.mount"#),
    ])
    func mountUnitName(path: String, name: String) {
        #expect(TuningRender.mountUnitName(path) == name)
    }

    /// systemd escapes a leading "." of the whole path only (unit-name.c, do_escape): a dot
    /// that starts a later component stays. `systemd-escape --path --suffix=mount /mnt/.x`
    /// prints `mnt-.x.mount`, and systemd refuses a unit `mnt-\x2ex.mount` with
    /// Where=/mnt/.x ("Where= setting doesn't match unit name").
    @Test("a dot starting a later component is not escaped", arguments: [
        ("/mnt/.x", "mnt-.x.mount"),
        ("/a/.b/.c", "a-.b-.c.mount"),
        ("/.x/.y", #"\x2ex-.y.mount"#),
    ])
    func dotInALaterComponent(path: String, name: String) {
        #expect(TuningRender.mountUnitName(path) == name)
    }

    static let escapePaths = ["/dev/hugepages", "/dev/hugepages1G", "/dev/huge-pages", "/", "/.x", "/dev//hugepages/",
                              "/a b/é", "/x:y_z.w", #"/a\b"#, "/-", "/srv/hp~1", "/x/y+z", "/_/a.b.c", "/mnt/.x"]

    @Test("mount unit names equal what systemd-escape prints",
          .enabled(if: Tools.find("systemd-escape") != nil, "needs systemd-escape (systemd)"))
    func againstSystemdEscape() throws {
        let tool = try #require(Tools.find("systemd-escape"))
        let result = try Tools.run(tool, ["--path", "--suffix=mount"] + Self.escapePaths)
        #expect(result.status == 0, "\(result.stderr)")
        let names = result.stdoutText.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(names.count == Self.escapePaths.count)
        for (path, name) in zip(Self.escapePaths, names) {
            #expect(TuningRender.mountUnitName(path) == name, "\(path)")
        }
    }

    /// The rendered units of the repository's manifests, verified by systemd itself. Run with
    /// `--root` at a scratch tree holding the files, so the ExecStart= program
    /// (/usr/bin/hostimg-agent, a stub here) is looked up there and not on this machine. The
    /// units have DefaultDependencies=no and name no unit they require, so verify finds no
    /// missing dependency under the empty root (Wants=network-pre.target may be absent).
    @Test("systemd-analyze verify accepts the rendered units", .enabled(if: Tools.find("systemd-analyze") != nil, "needs systemd-analyze"),
          arguments: ["manifests/qemu-dev.yaml", "manifests/hv-host.yaml"])
    func systemdAnalyzeVerify(manifest path: String) throws {
        let tool = try #require(Tools.find("systemd-analyze"))
        let (render, _) = try TuningRenderTests.render(path)
        try withScratchDirectory { scratch in
            var units: [String] = []
            for file in render.files {
                guard let text = file.text else { continue }
                let written = try scratch.write(String(file.path.dropFirst()), text)
                if file.path.hasSuffix(".mount") || file.path.hasSuffix(".service") { units.append(written) }
            }
            let agent = try scratch.write(String(TuningRender.agent.dropFirst()), "#!/bin/sh\nexit 0\n")
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: agent)
            #expect(units.count == (path.hasSuffix("hv-host.yaml") ? 3 : 2))
            let result = try Tools.run(tool, ["verify", "--man=no", "--root=" + scratch.path] + units)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.isEmpty && result.stdout.isEmpty, "\(result.stderr)\(result.stdoutText)")
        }
    }

    @Test("systemd-analyze verify accepts a mount unit under a dot directory",
          .enabled(if: Tools.find("systemd-analyze") != nil, "needs systemd-analyze"))
    func mountUnderADotDirectory() throws {
        let tool = try #require(Tools.find("systemd-analyze"))
        let tuning = try TuningRenderTests.tuning("""
            hugepages:
              default: 2M
              pools: [{size: 2M, count: 8}]
            hugetlbfs:
              - {path: /mnt/.hp, pageSize: 2M}

            """)
        let render = TuningRender.render(tuning, manifest: "t.yaml")
        let unit = try #require(render.files.first { $0.path.hasSuffix(".mount") && $0.text != nil })
        try withScratchDirectory { scratch in
            let written = try scratch.write(String(unit.path.dropFirst()), unit.text ?? "")
            let result = try Tools.run(tool, ["verify", "--man=no", "--root=" + scratch.path, written])
            #expect(result.status == 0, "\(result.stderr)")
        }
    }
}
