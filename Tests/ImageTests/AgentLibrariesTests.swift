import ContentStore
import ELF
import FileTree
import Foundation
import BuildPipeline
import Testing
import TestSupport

/// The host stage's check that the agent finds its interpreter and shared libraries in the
/// image's tree: a real program of the build host (/usr/bin/true: glibc and its loader)
/// stands in for the agent, with the host's libraries in the tree or not.
@Suite struct AgentLibrariesTests {
    let scratch: ScratchDirectory
    let store: ContentStore
    /// The build host's /usr/bin/true, symlinks resolved.
    let program: String

    init() throws {
        scratch = try ScratchDirectory()
        store = try ContentStore(root: scratch.path("cache"))
        program = URL(fileURLWithPath: "/usr/bin/true").resolvingSymlinksInPath().path
    }

    /// An agent program on the build host whose DT_NEEDED are `needed` (no interpreter).
    func syntheticAgent(needing needed: [String]) throws -> String {
        var agent = SyntheticELF()
        agent.needed = needed
        let path = scratch.path("hostimg-agent")
        try Data(agent.build()).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func everyLibraryPresentPasses() throws {
        var tree = FileTree()
        try BootStageTests.addHostLibraries(of: program, to: &tree, store: store)
        let checked = try #require(try AgentLibraries.check(agent: program, in: tree, store: store))
        let object = try ELF.Object(path: program)
        #expect(checked.interpreter == object.interpreter)
        #expect(checked.libraries.contains("libc.so.6"), "\(checked.libraries)")
        // libc.so.6 names the loader in DT_NEEDED too: it counts once.
        #expect(checked.count == Set(checked.libraries + ["ld-linux-x86-64.so.2"]).count)
        #expect(AgentLibraries.describe(checked).hasPrefix("agent's \(checked.count) shared libraries found in the tree"))
    }

    @Test func aMissingLibraryNamesTheAgentTheLibraryAndThePackage() throws {
        var tree = FileTree()
        try BootStageTests.addHostLibraries(of: program, to: &tree, store: store)
        tree.remove("/usr/lib/x86_64-linux-gnu/libc.so.6")
        let error = try #require(throws: BuildError.self) {
            try AgentLibraries.check(agent: program, in: tree, store: store)
        }
        #expect(error.stage == .host)
        let text = "\(error)"
        #expect(text.contains("the agent /usr/bin/hostimg-agent needs libc.so.6, which is in none of /usr/lib/x86_64-linux-gnu"), "\(text)")
        #expect(text.contains("add the Debian package that ships libc.so.6 (libc6) to packages.include"), "\(text)")
    }

    @Test func aMissingInterpreterIsNamed() throws {
        var tree = FileTree()
        try BootStageTests.addHostLibraries(of: program, to: &tree, store: store)
        let interpreter = try #require(try ELF.Object(path: program).interpreter)
        tree.remove("/usr/lib64/" + FileTree.name(of: interpreter))
        let error = try #require(throws: BuildError.self) {
            try AgentLibraries.check(agent: program, in: tree, store: store)
        }
        #expect("\(error)".contains("needs the program interpreter \(interpreter), which the image's tree lacks"), "\(error)")
    }

    /// libssl.so.3 is in the tree but libcrypto.so.3, which it needs, is not: the error says
    /// which library needs it and which package ships it.
    @Test func anIndirectlyNeededLibraryIsFollowed() throws {
        let agentPath = try syntheticAgent(needing: ["libssl.so.3"])
        var libssl = SyntheticELF()
        libssl.needed = ["libcrypto.so.3"]
        var tree = FileTree()
        // /lib → usr/lib, as in a merged-/usr tree: the library is found through the symlink.
        try tree.insert(FileTree.Node(.symlink("usr/lib"), mode: 0o777), at: "/lib")
        try tree.insert(FileTree.Node(.regular(try store.put(libssl.build())), mode: 0o644),
                        at: "/usr/lib/x86_64-linux-gnu/libssl.so.3")
        let error = try #require(throws: BuildError.self) {
            try AgentLibraries.check(agent: agentPath, in: tree, store: store)
        }
        #expect("\(error)".contains("needs libcrypto.so.3 (through /usr/lib/x86_64-linux-gnu/libssl.so.3)"), "\(error)")
        #expect("\(error)".contains("ships libcrypto.so.3 (libssl3) to packages.include"), "\(error)")

        try tree.insert(FileTree.Node(.symlink("libcrypto.so.3.0"), mode: 0o777), at: "/usr/lib/x86_64-linux-gnu/libcrypto.so.3")
        try tree.insert(FileTree.Node(.regular(try store.put(SyntheticELF().build())), mode: 0o644),
                        at: "/usr/lib/x86_64-linux-gnu/libcrypto.so.3.0")
        let checked = try AgentLibraries.check(agent: agentPath, in: tree, store: store)
        #expect(checked == AgentLibraries(interpreter: nil, libraries: ["libssl.so.3", "libcrypto.so.3"]))
    }

    @Test func anUnknownLibraryStillNamesTheFix() throws {
        let agentPath = try syntheticAgent(needing: ["libfuture.so.9"])
        let error = try #require(throws: BuildError.self) {
            try AgentLibraries.check(agent: agentPath, in: FileTree(), store: store)
        }
        #expect("\(error)".hasSuffix("add the Debian package that ships libfuture.so.9 to packages.include"), "\(error)")
    }

    @Test func aScriptIsNotChecked() throws {
        let script = scratch.path("agent.sh")
        try Data("#!/bin/sh\nexit 0\n".utf8).write(to: URL(fileURLWithPath: script))
        #expect(try AgentLibraries.check(agent: script, in: FileTree(), store: store) == nil)
    }

    /// The whole image build: the host stage fails on a tree without the agent's libraries,
    /// and reports how many it checked on a tree with them.
    @Test func theHostStageChecksTheAgent() async throws {
        let fixture = try ImageFixture(files: 5)
        var options = fixture.options(output: fixture.scratch.path("out"), signer: nil)
        options.agentProgram = program
        try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        let error = try await #require(throws: BuildError.self) {
            try await ImageBuild(options).run(tree: fixture.tree, store: fixture.store)
        }
        let interpreter = try #require(try ELF.Object(path: program).interpreter)
        #expect(error.stage == .host, "\(error)")
        #expect("\(error)".contains("hostimg-agent needs the program interpreter \(interpreter)"), "\(error)")
        #expect("\(error)".contains("ships \(FileTree.name(of: interpreter)) (libc6) to packages.include"), "\(error)")

        var tree = fixture.tree
        try BootStageTests.addHostLibraries(of: program, to: &tree, store: fixture.store)
        let result = try await ImageBuild(options).run(tree: tree, store: fixture.store)
        let summary = result.stages.first { $0.name == "host" }?.summary ?? ""
        #expect(summary.contains("agent's 2 shared libraries found in the tree (libc.so.6, ld-linux-x86-64.so.2)"), "\(summary)")
    }
}
