import Foundation
import Testing
import TestSupport
@testable import Debian

/// The machine's own apt lists (bookworm, -updates, -security), decompressed once.
/// Tests that need them are skipped with the reason when they are absent.
enum RealLists {
    struct List: Sendable {
        var path: String
        /// "http://deb.debian.org/debian bookworm/main"
        var origin: String
        var url: String
        var suite: String
        var component: String
    }

    static let directory = "/var/lib/apt/lists"

    /// `deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4` →
    /// url http://deb.debian.org/debian, suite bookworm, component main.
    static let lists: [List] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().compactMap { name -> List? in
            guard name.hasSuffix("_binary-amd64_Packages.lz4") || name.hasSuffix("_binary-amd64_Packages"),
                  let range = name.range(of: "_dists_") else { return nil }
            let url = "http://" + name[..<range.lowerBound].replacingOccurrences(of: "_", with: "/")
            let rest = name[range.upperBound...].split(separator: "_")
            guard rest.count >= 2 else { return nil }
            let suite = String(rest[0]), component = String(rest[1])
            return List(path: "\(directory)/\(name)", origin: "\(url) \(suite)/\(component)", url: url, suite: suite, component: component)
        }
    }()

    static var decompressor: String? { Tools.find("lz4") ?? (FileManager.default.isExecutableFile(atPath: "/usr/lib/apt/apt-helper") ? "/usr/lib/apt/apt-helper" : nil) }

    static var available: Bool { lists.contains { $0.suite == "bookworm" } && decompressor != nil }

    /// The decompressed bytes of one list: `lz4 -dc`, else `apt-helper cat-file`.
    static func contents(_ list: List) throws -> Data {
        if !list.path.hasSuffix(".lz4") { return try Data(contentsOf: URL(fileURLWithPath: list.path)) }
        let result: Tools.Result
        if let lz4 = Tools.find("lz4") {
            result = try Tools.run(lz4, ["-dc", list.path])
        } else {
            result = try Tools.run("/usr/lib/apt/apt-helper", ["cat-file", list.path])
        }
        guard result.status == 0 else { throw CocoaError(.fileReadCorruptFile) }
        return Data(result.stdout)
    }

    /// The index over every list, ordered main suite first.
    static func index() throws -> PackageIndex {
        var index = PackageIndex()
        for list in lists.sorted(by: { ($0.suite.count, $0.suite) < ($1.suite.count, $1.suite) }) {
            try index.add(packagesFile: try contents(list), origin: list.origin)
        }
        return index
    }
}

@Suite(.enabled(if: RealLists.available, "no bookworm Packages list in /var/lib/apt/lists, or no lz4/apt-helper to read it"))
struct RealIndexTests {
    @Test func parsesEveryParagraphOfEveryList() throws {
        for list in RealLists.lists {
            let data = try RealLists.contents(list)
            var count = 0
            let start = Date()
            try Deb822.forEachParagraph(in: data, allowComments: false) { _ in count += 1 }
            let seconds = Date().timeIntervalSince(start)
            let expected = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("Package:") }.count
            #expect(count == expected, "\(list.origin)")
            print("parsed \(count) paragraphs of \(list.origin) (\(data.count) bytes) in \(String(format: "%.3f", seconds)) s (this build)")
        }
    }

    @Test func everyPackageLoads() throws {
        let index = try RealLists.index()
        #expect(index.count > 60_000)
        #expect(index.candidate("libc6") != nil)
        #expect(!index.providers(of: "mail-transport-agent").isEmpty)
    }

    static let hostBase = ["systemd", "systemd-sysv", "udev", "kmod", "iproute2", "openssh-server", "ca-certificates", "busybox"]
    /// A larger hypervisor set: more alternatives and virtual packages on the way.
    static let hypervisor = hostBase + ["qemu-system-x86", "openvswitch-switch", "lvm2", "nftables", "chrony", "ovmf"]

    @Test(.enabled(if: Tools.find("apt-get") != nil, "apt-get is not installed"), arguments: [hostBase, hypervisor])
    func matchesApt(include: [String]) throws {
        let index = try RealLists.index()
        let mine = try Resolver.resolve(.init(include: include, essential: true), in: index)
        let names = Set(index.essentialAndRequired().map(\.name) + include).sorted()
        let apt = try AptSimulation.install(names, lists: RealLists.lists)
        let ours = Dictionary(uniqueKeysWithValues: mine.packages.map { ($0.name, $0.version.description) })
        var differences: [String] = []
        for name in Set(ours.keys).union(apt.keys).sorted() where ours[name] != apt[name] {
            differences.append("\(name): hostimg \(ours[name] ?? "-"), apt \(apt[name] ?? "-")")
        }
        print("apt installs \(apt.count) packages, hostimg selects \(ours.count); differences: \(differences)")
        #expect(apt.count > 100)
        // docs/resolver.md lists each accepted difference with its reason.
        let documented: Set<String> = []
        #expect(Set(differences).subtracting(documented).isEmpty, "\(differences)")
    }
}

/// `apt-get install --simulate` into an empty system that reads the same lists.
enum AptSimulation {
    static func install(_ names: [String], lists: [RealLists.List]) throws -> [String: String] {
        let scratch = try ScratchDirectory()
        let root = scratch.url.path
        for directory in ["sources.list.d", "preferences.d", "apt.conf.d", "cache/archives/partial", "state"] {
            try FileManager.default.createDirectory(atPath: "\(root)/\(directory)", withIntermediateDirectories: true)
        }
        _ = FileManager.default.createFile(atPath: "\(root)/state/status", contents: Data())
        let sources = lists.map { "deb \($0.url) \($0.suite) \($0.component)\n" }.joined()
        try sources.write(toFile: "\(root)/sources.list.d/hostimg-test.list", atomically: true, encoding: .utf8)
        let options = [
            "Dir::State=\(root)/state", "Dir::State::status=\(root)/state/status",
            "Dir::State::Lists=\(RealLists.directory)", "Dir::Etc::SourceList=/dev/null",
            "Dir::Etc::SourceParts=\(root)/sources.list.d", "Dir::Etc::Preferences=/dev/null",
            "Dir::Etc::PreferencesParts=\(root)/preferences.d", "Dir::Etc::Parts=\(root)/apt.conf.d",
            "Dir::Cache=\(root)/cache", "Dir::Cache::pkgcache=", "Dir::Cache::srcpkgcache=",
            "APT::Architecture=amd64", "APT::Architectures=amd64", "Debug::NoLocking=1",
            "APT::Install-Recommends=false", "APT::Install-Suggests=false",
        ].flatMap { ["-o", $0] }
        let arguments = ["APT_CONFIG=/dev/null", "apt-get", "--simulate", "--no-install-recommends", "-q"]
            + options + ["install"] + names
        let result = try Tools.run("/usr/bin/env", arguments)
        guard result.status == 0 else {
            throw AptFailed(message: result.stderr + result.stdoutText.suffix(2000))
        }
        var installed: [String: String] = [:]
        for line in result.stdoutText.split(separator: "\n") where line.hasPrefix("Inst ") {
            // Inst NAME (VERSION ORIGINS [ARCH])
            let words = line.split(separator: " ")
            guard words.count >= 3 else { continue }
            let name = String(words[1].split(separator: ":").first ?? words[1])
            installed[name] = String(words[2].dropFirst())
        }
        return installed
    }

    struct AptFailed: Error, CustomStringConvertible {
        var message: String
        var description: String { "apt-get --simulate failed: \(message)" }
    }
}
