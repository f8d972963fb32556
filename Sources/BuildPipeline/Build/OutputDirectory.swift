#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import Manifests
import SystemIO

/// `-o DIR` of a build that writes outputs, checked before anything else runs so a bad value
/// fails in the first second instead of after the tree is built: not empty, a directory (or
/// creatable as one), writable, and outside every overlay directory of the manifest (an
/// output there would be copied into the next build's image).
public struct OutputDirectoryError: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }
}

extension Pipeline {
    /// Checks `options.output` for a build that writes outputs and creates it; throws a
    /// `BuildError` whose cause is an `OutputDirectoryError` naming the fix.
    func prepareOutput(_ manifest: Manifest) throws {
        do {
            try OutputDirectory.prepare(options.output, overlays: manifest.overlays)
        } catch {
            throw BuildError(stage: .layout, cause: error)
        }
    }
}

enum OutputDirectory {
    static func prepare(_ output: String, overlays: [Located<String>]) throws(OutputDirectoryError) {
        guard !output.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw OutputDirectoryError("the output directory is empty (-o \"\"); give a directory, e.g. -o out (it is created if missing)")
        }
        let (existing, missing) = split(absolute(output))
        guard SystemIO.isDirectory(existing) else {
            let what = missing.isEmpty ? "-o \(output) is an existing file" : "\(existing) is a file, so -o \(output) cannot be created in it"
            throw OutputDirectoryError("\(what); give a directory, e.g. -o out (it is created if missing)")
        }
        let resolved = ([physical(existing)] + missing).joined(separator: "/").replacingOccurrences(of: "//", with: "/")
        for overlay in overlays {
            let directory = physical(ManifestLoader.resolve(overlay.value, relativeTo: overlay.location.file))
            guard resolved == directory || resolved.hasPrefix(directory == "/" ? "/" : directory + "/") else { continue }
            throw OutputDirectoryError(
                "-o \(output) is inside the overlay \(overlay.value) (\(directory), \(overlay.location)): the next build would copy "
                    + "these outputs into its image; write them outside every overlay directory, e.g. -o out beside the manifest")
        }
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        } catch {
            throw OutputDirectoryError("cannot create the output directory \(output) (\(error.localizedDescription)); give a directory you can write, e.g. -o out")
        }
        // The only sure test of "can the build write here" is writing: a probe file, removed.
        let probe = SystemIO.temporaryPath(for: output + "/.hostimg-probe")
        do {
            _ = try SystemIO.File(path: probe, flags: O_WRONLY | O_CREAT | O_TRUNC)
            SystemIO.removeIfPresent(probe)
        } catch {
            throw OutputDirectoryError("cannot write into the output directory \(output) (\(error.reason)); give a directory you can write, e.g. -o out")
        }
    }

    /// `path` from the root, the current directory in front of a relative one.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The longest leading part of `path` that exists, and the components after it.
    static func split(_ path: String) -> (existing: String, missing: [String]) {
        var components = path.split(separator: "/").map(String.init)
        var missing: [String] = []
        while !components.isEmpty, !SystemIO.exists("/" + components.joined(separator: "/")) {
            missing.insert(components.removeLast(), at: 0)
        }
        // "a/../b" below a missing directory: resolved as mkdir -p will resolve it.
        var normalized: [String] = []
        for component in missing where component != "." {
            if component == "..", !normalized.isEmpty { normalized.removeLast() } else if component != ".." { normalized.append(component) }
        }
        return ("/" + components.joined(separator: "/"), normalized)
    }

    /// `path` with every symbolic link resolved (realpath(3)); as given when it cannot be.
    static func physical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
