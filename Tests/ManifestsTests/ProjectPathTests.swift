import Foundation
import Testing
@testable import Manifests

/// Makes a named pipe at `path`. Safety net, not a speed check: if the code under test ever
/// blocks opening it, a writer opens it after a while, so the reader wakes up (and the test
/// fails on what it read) instead of hanging the run.
func makeFIFO(_ path: String) throws {
    try #require(mkfifo(path, 0o644) == 0, "mkfifo \(path): \(String(cString: strerror(errno)))")
    Thread.detachNewThread {
        Thread.sleep(forTimeInterval: 30)
        let descriptor = open(path, O_WRONLY | O_NONBLOCK)
        if descriptor >= 0 { close(descriptor) }
    }
}

@Suite("B: pipes, devices and sockets are refused unopened")
struct SpecialFileTests {
    @Test("a FIFO as the manifest, linted directly or found in a folder, is io.unreadable naming what it is")
    func manifestIsFIFO() throws {
        try withScratchDirectory { scratch in
            try makeFIFO(scratch.path + "/pipe.yaml")
            let diagnostics = try scratch.lint("pipe.yaml").diagnostics
            #expect(diagnostics.map(\.rule) == ["io.unreadable"])
            #expect(diagnostics.first?.message == "cannot read \(scratch.path)/pipe.yaml: it is a named pipe (FIFO), not a regular file")
            #expect(try Linter.lint(paths: [scratch.path]).diagnostics == diagnostics)
        }
    }

    @Test("a FIFO named by extends, kernel or hardware is the reference's error", arguments: [
        ("extends: [pipe.yaml]\n", "ref.extends", "base manifest 'pipe.yaml'"),
        ("hardware: pipe.yaml\n", "ref.hardware", "hardware profile 'pipe.yaml'"),
        ("base: {tarball: pipe.yaml}\n", "ref.file", "base tarball 'pipe.yaml'"),
        ("signing: {key: {file: pipe.yaml}, certificate: {env: CERT}}\n", "ref.file", "`signing.key` file 'pipe.yaml'"),
        ("overlays: [pipe.yaml]\n", "ref.overlay", "overlay 'pipe.yaml'"),
    ])
    func referenceIsFIFO(_ line: String, _ rule: String, _ subject: String) throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try makeFIFO(scratch.path + "/pipe.yaml")
            try scratch.write("m.yaml", line + ValidInputs.manifest)
            let diagnostics = try scratch.lint("m.yaml").diagnostics.filter { $0.rule != "packages.source" }
            #expect(diagnostics.map(\.rule) == [rule])
            #expect(diagnostics.first?.message.hasPrefix(subject) == true, "\(diagnostics.map(\.message))")
            #expect(diagnostics.first?.message.contains("named pipe (FIFO)") == true, "\(diagnostics.map(\.message))")
            #expect(diagnostics.first?.location.line == 1)
        }
    }

    @Test("a FIFO as the kernel file")
    func kernelIsFIFO() throws {
        try withScratchDirectory { scratch in
            try scratch.directory("kernels")
            try makeFIFO(scratch.path + "/kernels/k.yaml")
            try scratch.write("m.yaml", ValidInputs.manifest)
            let diagnostics = try scratch.lint("m.yaml").diagnostics
            #expect(places(diagnostics) == ["ref.kernel 9:9"])
            #expect(diagnostics.first?.message.contains("is a named pipe (FIFO), not a regular file") == true)
        }
    }

    @Test("a FIFO as --hardware or --previous is a usage error")
    func optionIsFIFO() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("m.yaml", ValidInputs.manifest)
            try makeFIFO(scratch.path + "/pipe.yaml")
            for options in [LintOptions(hardwareProfile: scratch.path + "/pipe.yaml"), LintOptions(previousManifest: scratch.path + "/pipe.yaml")] {
                #expect {
                    try scratch.lint("m.yaml", options: options)
                } throws: { error in
                    (error as? LintUsageError)?.description.hasSuffix("pipe.yaml is a named pipe (FIFO), not a regular file") == true
                }
            }
        }
    }
}

@Suite("C: paths stay inside the project")
struct ProjectPathTests {
    @Test("`kernel: /etc/shadow` is path.absolute; nothing of the file is read or printed")
    func absoluteKernel() throws {
        try withScratchDirectory { scratch in
            let project = try ScratchProject(scratch)
            try project.manifest("", name: "manifests/m.yaml")
            let text = try String(contentsOfFile: project.project + "/manifests/m.yaml", encoding: .utf8)
            try scratch.write("proj/manifests/m.yaml", text.replacingOccurrences(of: "../kernels/k.yaml", with: "/etc/shadow"))
            let result = try project.lint()
            #expect(places(result.diagnostics) == ["path.absolute 9:9"])
            #expect(result.diagnostics.first?.message.contains("'/etc/shadow'") == true)
            #expect(!result.files.contains("/etc/shadow"))
        }
    }

    @Test("absolute paths, `..` out and symbolic links out are refused for every path field", arguments: [
        ("kernel", "/OUTSIDE/secret.yaml", "path.absolute"),
        ("kernel", "../../outside/secret.yaml", "path.outside-project"),
        ("kernel", "../kernels/link.yaml", "path.outside-project"),
        ("hardware", "../../outside/secret.yaml", "path.outside-project"),
        ("extends", "[../../outside/secret.yaml]", "path.outside-project"),
        ("extends", "[/OUTSIDE/secret.yaml]", "path.absolute"),
        ("overlays", "[/tmp]", "path.absolute"),
        ("overlays", "[../overlays/ssh]", "path.outside-project"),
        ("overlays", "[../../outside/ssh]", "path.outside-project"),
        ("base", "{tarball: ../../outside/shadow}", "path.outside-project"),
        ("signing", "{key: {file: /OUTSIDE/shadow}, certificate: {env: C}}", "path.absolute"),
        ("signing", "{key: {env: K}, certificate: {file: ../kernels/link.yaml}}", "path.outside-project"),
        ("packages", "{repository: {url: 'http://deb.debian.org/debian', suite: bookworm, components: [main], keyring: ../../outside/shadow}}", "path.outside-project"),
    ])
    func refused(_ key: String, _ value: String, _ rule: String) throws {
        try withScratchDirectory { scratch in
            let project = try ScratchProject(scratch)
            try project.link("kernels/link.yaml", to: project.outside + "/secret.yaml")
            try project.link("overlays/ssh", to: project.outside + "/ssh")
            let written = value.replacingOccurrences(of: "/OUTSIDE", with: project.outside)
            var text = ValidInputs.manifest.replacingOccurrences(of: "kernel: kernels/k.yaml", with: "kernel: ../kernels/k.yaml")
            if key == "kernel" { text = text.replacingOccurrences(of: "kernel: ../kernels/k.yaml", with: "kernel: \(written)") }
            if key == "packages" { text = text.replacingOccurrences(of: "packages:\n", with: "packages:\n  repository: \(written.dropFirst(13).dropLast())\n") }
            if key != "kernel" && key != "packages" { text += "\(key): \(written)\n" }
            try scratch.write("proj/manifests/m.yaml", text)
            var result = try project.lint()
            // `base` next to `packages` is also packages.source, as ever.
            result.diagnostics.removeAll { key == "base" && $0.rule == "packages.source" }
            #expect(result.diagnostics.map(\.rule) == [rule], "\(result.diagnostics.map(\.message))")
            #expect(result.diagnostics.first?.location.file == project.project + "/manifests/m.yaml")
            #expect(result.diagnostics.first?.hint?.isEmpty == false)
            #expect(result.files.allSatisfy { !$0.contains("outside") }, "\(result.files)")
            expectNoSecret(result.diagnostics)
        }
    }

    @Test("`..` that stays inside the project is fine; the project is the parent of manifests/")
    func dotDotInside() throws {
        try withScratchDirectory { scratch in
            let project = try ScratchProject(scratch)
            try scratch.write("proj/manifests/common/base.yaml", "partial: true\noverlays: [../../overlays/common]\n")
            try project.manifest("extends: [common/base.yaml]\n")
            let result = try project.lint()
            #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
            let loaded = ManifestLoader.load(path: project.project + "/manifests/m.yaml")
            #expect(loaded.manifest?.projectRoot == FileProbe.realPath(project.project))
        }
    }

    @Test("--root names a project higher up; without it a folder not named manifests is its own project")
    func explicitRoot() throws {
        try withScratchDirectory { scratch in
            let project = try ScratchProject(scratch)
            try project.manifest("", name: "site/m.yaml")
            let own = try project.lint("site/m.yaml")
            #expect(own.diagnostics.map(\.rule) == ["path.outside-project"])
            let rooted = try project.lint("site/m.yaml", options: LintOptions(root: project.project))
            #expect(rooted.diagnostics.isEmpty, "\(rooted.diagnostics)")
            #expect(throws: LintUsageError.self) { try project.lint("site/m.yaml", options: LintOptions(root: project.project + "/none")) }
        }
    }

    @Test("--previous beside manifests/ (old/m.yaml) belongs to the project of the manifest linted with it")
    func previousInTheProject() throws {
        try withScratchDirectory { scratch in
            let project = try ScratchProject(scratch)
            try project.manifest("")
            try project.manifest("", name: "old/m.yaml")
            let result = try project.lint(options: LintOptions(previousManifest: project.project + "/old/m.yaml"))
            #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
            let alone = try project.lint("old/m.yaml")
            #expect(alone.diagnostics.map(\.rule) == ["path.outside-project"])
        }
    }

    @Test("a manifest that is a symbolic link out of the project is refused unread, also found in a folder")
    func linkedManifest() throws {
        try withScratchDirectory { scratch in
            let project = try ScratchProject(scratch)
            try scratch.directory("proj/manifests")
            try project.link("manifests/evil.yaml", to: project.outside + "/secret.yaml")
            for result in [try project.lint("manifests/evil.yaml"), try Linter.lint(paths: [project.project + "/manifests"])] {
                #expect(result.diagnostics.map(\.rule) == ["path.outside-project"])
                #expect(result.reads == 0)
                expectNoSecret(result.diagnostics)
            }
        }
    }

    @Test("a file inside the project that is not of its kind is named, never quoted", arguments: [
        "password: TOPSECRET-hunter2\n", "TOPSECRET-hunter2 password\n", "- password\n- TOPSECRET-hunter2\n",
        "password: [TOPSECRET-hunter2\n", "password: a\npassword: TOPSECRET-hunter2\n", "*password: TOPSECRET-hunter2\n",
    ])
    func notOfItsKind(_ content: String) throws {
        try withScratchDirectory { scratch in
            let project = try ScratchProject(scratch)
            try scratch.write("proj/overlays/common/etc/app.conf", content)
            for (line, rule) in [("kernel: ../overlays/common/etc/app.conf\n", "ref.kernel"),
                                 ("hardware: ../overlays/common/etc/app.conf\n", "ref.hardware"),
                                 ("extends: [../overlays/common/etc/app.conf]\n", "ref.extends")] {
                var text = ValidInputs.manifest.replacingOccurrences(of: "kernel: kernels/k.yaml", with: "kernel: ../kernels/k.yaml")
                text = line.hasPrefix("kernel") ? text.replacingOccurrences(of: "kernel: ../kernels/k.yaml\n", with: line) : line + text
                try scratch.write("proj/manifests/m.yaml", text)
                let diagnostics = try project.lint().diagnostics
                #expect(diagnostics.map(\.rule) == [rule], "\(line): \(diagnostics.map(\.message))")
                #expect(diagnostics.allSatisfy { $0.location.file.hasSuffix("manifests/m.yaml") })
                expectNoSecret(diagnostics)
            }
        }
    }
}
