import ContentStore
import Debian
import FileTree
import Foundation
import TestSupport

/// A small tree under construction: merged-/usr skeleton, files from text or from this
/// machine, and a writer that puts a tree on disk so upstream tools can read it.
struct Fixture {
    let scratch: ScratchDirectory
    let store: ContentStore
    var tree = FileTree()

    init(mergedUsr: Bool = true) throws {
        scratch = try ScratchDirectory()
        store = try ContentStore(root: scratch.path("store"))
        if mergedUsr {
            for directory in ["/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/etc", "/var/lib"] {
                try tree.insert(.directory(), at: directory)
            }
            for (link, target) in [("/bin", "usr/bin"), ("/sbin", "usr/sbin"), ("/lib", "usr/lib"), ("/lib64", "usr/lib64")] {
                try tree.insert(FileTree.Node(.symlink(target), mode: 0o777), at: link)
            }
        }
    }

    mutating func file(_ path: String, _ text: String, mode: UInt16 = 0o644) throws {
        try file(path, bytes: Array(text.utf8), mode: mode)
    }

    mutating func file(_ path: String, bytes: [UInt8], mode: UInt16 = 0o644) throws {
        let ref = try store.put(bytes)
        try tree.insert(FileTree.Node(.regular(ref), mode: mode, origin: "test"), at: path)
    }

    /// Copies a file of this machine (following links) into the tree.
    mutating func hostFile(_ hostPath: String, at path: String, mode: UInt16 = 0o755) throws {
        guard let data = FileManager.default.contents(atPath: hostPath) else {
            throw FixtureError.missingHostFile(hostPath)
        }
        try file(path, bytes: [UInt8](data), mode: mode)
    }

    mutating func symlink(_ path: String, _ target: String) throws {
        try tree.insert(FileTree.Node(.symlink(target), mode: 0o777), at: path)
    }

    func text(_ path: String) throws -> String? {
        guard let ref = tree.resolve(path)?.node.content else { return nil }
        return String(decoding: try store.read(ref), as: UTF8.self)
    }

    func bytes(_ path: String) throws -> [UInt8]? {
        guard let ref = tree.resolve(path)?.node.content else { return nil }
        return try store.read(ref)
    }

    /// Writes `tree` under `root`: directories, regular files from the store, symlinks.
    func materialize(_ tree: FileTree, at root: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        for (path, node) in tree.entries where path != "/" {
            let target = root + path
            switch node.kind {
            case .directory:
                try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
            case let .regular(ref):
                try Data(try store.read(ref)).write(to: URL(fileURLWithPath: target))
            case let .symlink(link):
                try fm.createSymbolicLink(atPath: target, withDestinationPath: link)
                continue
            default:
                continue
            }
            try fm.setAttributes([.posixPermissions: Int(node.mode)], ofItemAtPath: target)
        }
    }

    static var isRoot: Bool { getuid() == 0 }
}

extension InstalledPackage {
    /// A package whose control file has just the fields dpkg requires, for tests about its
    /// scripts or files.
    static func fixture(_ name: String, version: String = "1", scripts: [String: String] = [:]) throws -> InstalledPackage {
        try InstalledPackage(control: "Package: \(name)\nVersion: \(version)\nArchitecture: amd64\n", scripts: scripts)
    }
}

enum FixtureError: Error, CustomStringConvertible {
    case missingHostFile(String)
    var description: String {
        switch self {
        case let .missingHostFile(path): return "\(path) is not on this machine; the test copies it into a tree"
        }
    }
}

/// Real control paragraphs and script snippets, copied from a Debian 12 machine's
/// /var/lib/dpkg/status and /var/lib/dpkg/info (Status: lines removed, as in control files).
enum Real {
    static let mawkControl = """
        Package: mawk
        Priority: required
        Section: interpreters
        Installed-Size: 263
        Maintainer: Boyuan Yang <byang@debian.org>
        Architecture: amd64
        Multi-Arch: foreign
        Version: 1.3.4.20200120-3.1
        Provides: awk
        Depends: libc6 (>= 2.29)
        Description: Pattern scanning and text processing language
         Mawk is an interpreter for the AWK Programming Language. The AWK
         language is useful for manipulation of data files, text retrieval and
         processing, and for prototyping and experimenting with algorithms.
        Homepage: https://invisible-island.net/mawk/
        """

    static let zlibControl = """
        Package: zlib1g
        Priority: optional
        Section: libs
        Installed-Size: 168
        Maintainer: Mark Brown <broonie@debian.org>
        Architecture: amd64
        Multi-Arch: same
        Source: zlib
        Version: 1:1.2.13.dfsg-1
        Provides: libz1
        Depends: libc6 (>= 2.14)
        Breaks: libxml2 (<< 2.7.6.dfsg-2), texlive-binaries (<< 2009-12)
        Conflicts: zlib1 (<= 1:1.0.4-7)
        Description: compression library - runtime
         zlib is a library implementing the deflate compression method found
         in gzip and PKZIP.  This package includes the shared library.
        Homepage: http://zlib.net/
        """

    static let dpkgControl = """
        Package: dpkg
        Essential: yes
        Priority: required
        Section: admin
        Installed-Size: 6409
        Maintainer: Dpkg Developers <debian-dpkg@lists.debian.org>
        Architecture: amd64
        Multi-Arch: foreign
        Version: 1.21.22
        Depends: tar (>= 1.28-1)
        Description: Debian package management system
         This package provides the low-level infrastructure for handling the
         installation and removal of Debian software packages.
         .
         For Debian package development tools, install dpkg-dev.
        Homepage: https://wiki.debian.org/Teams/Dpkg
        """

    static let mawkPostinst = """
        #!/bin/sh
        set -e
        # Automatically added by dh_installalternatives/13.7.1
        if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ]; then
                update-alternatives --install /usr/bin/awk awk /usr/bin/mawk 5 \\
                    --slave /usr/share/man/man1/awk.1.gz awk.1.gz /usr/share/man/man1/mawk.1.gz \\
                    --slave /usr/bin/nawk nawk /usr/bin/mawk \\
                    --slave /usr/share/man/man1/nawk.1.gz nawk.1.gz /usr/share/man/man1/mawk.1.gz
        fi
        # End automatically added section
        """

    /// apt.postinst (bookworm), the parts configure reads.
    static let aptPostinst = """
        #!/bin/sh
        set -e
        if [ "$1" = 'configure' ]; then
        \t# add unprivileged user for the apt methods
        \tadduser --force-badname --system --home /nonexistent  \\
        \t    --no-create-home --quiet _apt || true
        fi
        # Automatically added by dh_installsystemd/13.11.4
        if [ "$1" = "configure" ] || [ "$1" = "abort-upgrade" ] || [ "$1" = "abort-deconfigure" ] || [ "$1" = "abort-remove" ] ; then
        \t# The following line should be removed in trixie or trixie+1
        \tdeb-systemd-helper unmask 'apt-daily-upgrade.timer' >/dev/null || true

        \t# was-enabled defaults to true, so new installations run enable.
        \tif deb-systemd-helper --quiet was-enabled 'apt-daily-upgrade.timer'; then
        \t\t# Enables the unit on first installation, creates new
        \t\t# symlinks on upgrades if the unit file has changed.
        \t\tdeb-systemd-helper enable 'apt-daily-upgrade.timer' >/dev/null || true
        \telse
        \t\tdeb-systemd-helper update-state 'apt-daily-upgrade.timer' >/dev/null || true
        \tfi
        fi
        # End automatically added section
        """
}
