import ContentStore
import ELF
import FileTree

/// The agent links the Swift runtime statically but glibc, libcrypto, libzstd and libssl
/// dynamically: an image whose packages lack one of them holds an agent that cannot start —
/// no health gate, no blessing, no switch — which only a host would show. So the host stage
/// checks, once the tree is final for the agent (every stage that removes files — prune,
/// drivers — ran before it), that its interpreter and every library it needs, transitively,
/// resolve in the tree as `SharedLibraries` (the initrd's resolution) finds them. A value is
/// what the check saw: the agent's interpreter and the libraries it needs, transitively.
public struct AgentLibraries: Sendable, Equatable {
    public var interpreter: String?
    /// DT_NEEDED names, the agent's first, each once, in the order the loader meets them.
    public var libraries: [String]

    public init(interpreter: String?, libraries: [String]) {
        self.interpreter = interpreter
        self.libraries = libraries
    }

    /// How many files were checked: the libraries and the interpreter (which glibc's libc.so.6
    /// also names in DT_NEEDED: counted once).
    public var count: Int { Set(libraries + (interpreter.map { [FileTree.name(of: $0)] } ?? [])).count }

    /// The agent's path in the image.
    static var agentPath: String { HostFiles.agentPath }

    /// The Debian packages that ship the libraries the agent links, for the error's fix. A
    /// missing library's package is, by definition, not installed, so the tree's dpkg lists
    /// (`/var/lib/dpkg/info/*.list`) cannot name it; these are bookworm's names.
    public static let packages = [
        "ld-linux-x86-64.so.2": "libc6", "libc.so.6": "libc6", "libm.so.6": "libc6", "libpthread.so.0": "libc6",
        "libdl.so.2": "libc6", "librt.so.1": "libc6", "libutil.so.1": "libc6",
        "libcrypto.so.3": "libssl3", "libssl.so.3": "libssl3", "libzstd.so.1": "libzstd1", "libz.so.1": "zlib1g",
        "libgcc_s.so.1": "libgcc-s1", "libstdc++.so.6": "libstdc++6",
    ]

    /// Checks that the agent program at `agent` (on the build host) finds its interpreter and
    /// every shared library it needs in `tree`; nil when it is not an ELF program (a stand-in
    /// script), which needs nothing checked. Throws a `BuildError` of the host stage naming
    /// what is missing and the package to add.
    public static func check(agent: String, in tree: FileTree, store: ContentStore) throws -> AgentLibraries? {
        guard SharedLibraries.isELF(agent) else { return nil }
        let object: ELF.Object
        do {
            object = try ELF.Object(path: agent)
        } catch {
            throw BuildError(stage: .host, cause: error, context: "the agent program \(agent) is not an ELF program hostimg can read")
        }
        let needs: [SharedLibraries.Need]
        do {
            needs = try SharedLibraries(tree: tree, store: store).closure(of: object, neededBy: agentPath)
        } catch {
            throw buildError(error)
        }
        var found = AgentLibraries(interpreter: nil, libraries: [])
        for need in needs {
            switch need {
            case let .interpreter(path) where path == object.interpreter: found.interpreter = path
            case .interpreter: continue
            case let .library(name, _): found.libraries.append(name)
            }
        }
        return found
    }

    /// The check's failure, naming the agent, what it lacks (and through which library, when
    /// the agent needs it indirectly), and the package to add.
    static func buildError(_ failure: SharedLibraries.Failure) -> BuildError {
        func through(_ user: String) -> String { user == agentPath ? "" : " (through \(user))" }
        let missing: String
        let lacking: String
        switch failure {
        case let .missingLibrary(user, name):
            missing = name
            lacking = "\(name)\(through(user)), which is in none of \(SharedLibraries.searchPath.joined(separator: ", ")) of the image's tree"
        case let .missingInterpreter(user, path):
            missing = FileTree.name(of: path)
            lacking = "the program interpreter \(path)\(through(user)), which the image's tree lacks"
        case let .unreadable(path, cause):
            return BuildError(stage: .host, cause: cause, context: "\(path), which the agent \(agentPath) needs, is not an ELF library hostimg can read")
        }
        let package = packages[missing].map { " (\($0))" } ?? ""
        return BuildError(stage: .host, "the agent \(agentPath) needs \(lacking): it could not start on a host (no health gate, no blessing, no switch); add the Debian package that ships \(missing)\(package) to packages.include")
    }

    /// The report's part for the check.
    public static func describe(_ checked: AgentLibraries?) -> String {
        guard let checked else { return "agent not ELF: no shared libraries checked" }
        return "agent's \(checked.count) shared libraries found in the tree"
            + (checked.libraries.isEmpty ? "" : " (" + checked.libraries.joined(separator: ", ") + ")")
    }
}
