/// Where the files a diagnostic names sit relative to the root of the source tree, for the
/// formats a code host reads (SARIF, GitHub annotations): those match a path against the
/// repository, so `./manifests/hv.yaml`, `/home/ci/work/repo/manifests/hv.yaml` and, run from
/// `manifests/`, `hv.yaml` must all become `manifests/hv.yaml`.
///
/// Purely lexical: no file system access, symbolic links are not resolved, and `..` removes
/// the component before it.
public struct SourcePaths: Hashable, Sendable {
    /// Absolute path of the source root (the repository; `GITHUB_WORKSPACE` in GitHub Actions).
    public var root: String
    /// Absolute path relative paths start from (the process's working directory).
    public var workingDirectory: String

    public init(root: String, workingDirectory: String? = nil) {
        self.root = Self.normalized(root)
        self.workingDirectory = Self.normalized(workingDirectory ?? root)
    }

    /// Where a path points.
    public enum Resolved: Hashable, Sendable {
        /// Under the root: the path from it, with forward slashes and no `.` or `..`.
        case relative(String)
        /// Outside the root: the normalised absolute path.
        case absolute(String)
    }

    public func resolve(_ path: String) -> Resolved {
        let absolute = Self.normalized(path.hasPrefix("/") ? path : workingDirectory + "/" + path)
        if root == "/" {
            return .relative(String(absolute.dropFirst()))
        }
        if absolute.hasPrefix(root + "/") {
            return .relative(String(absolute.dropFirst(root.count + 1)))
        }
        return .absolute(absolute)
    }

    /// The path relative to the root when it is under it, else the absolute path.
    public func display(_ path: String) -> String {
        switch resolve(path) {
        case .relative(let relative): return relative
        case .absolute(let absolute): return absolute
        }
    }

    /// `path` made absolute-looking and lexically clean: `/a/./b/../c/` → `/a/c`.
    static func normalized(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// The root the code-host formats use: `GITHUB_WORKSPACE` when set to an absolute path
    /// (GitHub Actions, where annotations and code scanning expect repository paths), else the
    /// working directory.
    public static func forConsole(_ console: Console) -> SourcePaths {
        if let workspace = console.environment["GITHUB_WORKSPACE"], workspace.hasPrefix("/") {
            return SourcePaths(root: workspace, workingDirectory: console.currentDirectory)
        }
        return SourcePaths(root: console.currentDirectory)
    }
}
