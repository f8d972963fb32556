import Testing

@testable import HostImgCLI

@Suite("source paths")
struct SourcePathsTests {
    @Test func resolvesAgainstRootAndWorkingDirectory() {
        let paths = SourcePaths(root: "/work/repo/", workingDirectory: "/work/repo/manifests")
        #expect(paths.resolve("hv.yaml") == .relative("manifests/hv.yaml"))
        #expect(paths.resolve("./hv.yaml") == .relative("manifests/hv.yaml"))
        #expect(paths.resolve("../kernels/./6.1.yaml") == .relative("kernels/6.1.yaml"))
        #expect(paths.resolve("/work/repo/hardware/r650.yaml") == .relative("hardware/r650.yaml"))
        #expect(paths.resolve("../../elsewhere.yaml") == .absolute("/work/elsewhere.yaml"))
        // A sibling whose name starts like the root is outside it.
        #expect(paths.resolve("/work/repo2/x.yaml") == .absolute("/work/repo2/x.yaml"))
        #expect(paths.display("/tmp/x.yaml") == "/tmp/x.yaml")
    }

    @Test func rootOfTheFileSystem() {
        #expect(SourcePaths(root: "/").resolve("etc/x.yaml") == .relative("etc/x.yaml"))
    }

    @Test func normalisation() {
        #expect(SourcePaths.normalized("/a/./b/../c/") == "/a/c")
        #expect(SourcePaths.normalized("/../..") == "/")
        #expect(SourcePaths.normalized("//a//b") == "/a/b")
    }

    @Test func githubWorkspaceIsTheRootInActions() {
        let capture = CapturedOutput()
        let actions = capture.console(environment: ["GITHUB_WORKSPACE": "/home/runner/work/hosts"], currentDirectory: "/home/runner/work/hosts/manifests")
        #expect(SourcePaths.forConsole(actions) == SourcePaths(root: "/home/runner/work/hosts", workingDirectory: "/home/runner/work/hosts/manifests"))
        let local = capture.console(environment: ["GITHUB_WORKSPACE": "relative/nonsense"], currentDirectory: "/src/hosts")
        #expect(SourcePaths.forConsole(local) == SourcePaths(root: "/src/hosts"))
    }
}
