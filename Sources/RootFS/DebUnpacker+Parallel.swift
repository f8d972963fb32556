import ContentStore
import Debian
import FileTree
import Foundation

extension DebUnpacker {
    /// Unpacks many packages: decompression runs concurrently (at most `maxConcurrency`
    /// packages at a time, by default the number of cores), then the staged packages are
    /// applied one by one in the order given — the lock order — so the tree, the package
    /// list and the conflicts are the same whatever the scheduling.
    ///
    /// When a package fails, the error of the first failing package in the given order is
    /// thrown (also independent of scheduling) and `tree` is left unchanged.
    ///
    /// - Parameter debs: `name` names the package in errors (e.g. the file name), `path` is
    ///   the `.deb` (typically a `ContentStore` object).
    /// - Returns: the packages in the given order, and every path more than one of them
    ///   shipped, sorted by path.
    public func unpackAll(debs: [(name: String, path: String)], into tree: inout FileTree,
                          maxConcurrency: Int = ProcessInfo.processInfo.activeProcessorCount)
        async throws(RootFSError) -> (packages: [InstalledPackage], conflicts: [PathConflict]) {
        let inputs = debs.map { (name: $0.name, path: $0.path) }
        let width = max(1, maxConcurrency)
        let results = await withTaskGroup(of: (Int, Result<StagedPackage, RootFSError>).self) { group in
            var results = [Result<StagedPackage, RootFSError>?](repeating: nil, count: inputs.count)
            var next = 0
            func launch() {
                let index = next
                let input = inputs[index]
                next += 1
                group.addTask {
                    do throws(RootFSError) {
                        return (index, .success(try self.stage(input.path, name: input.name)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            while next < min(width, inputs.count) { launch() }
            while let (index, result) = await group.next() {
                results[index] = result
                if next < inputs.count { launch() }
            }
            return results
        }
        var staged: [StagedPackage] = []
        staged.reserveCapacity(inputs.count)
        for result in results {
            guard let result else { continue }
            staged.append(try result.get())
        }
        var working = tree
        var byPath: [String: [String]] = [:]
        for package in staged {
            for conflict in try apply(package, to: &working) {
                var packages = byPath[conflict.path] ?? [conflict.packages[0]]
                packages.append(contentsOf: conflict.packages.dropFirst())
                byPath[conflict.path] = packages
            }
        }
        tree = working
        let conflicts = byPath.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { PathConflict(path: $0, packages: byPath[$0] ?? []) }
        return (staged.map(\.package), conflicts)
    }
}

/// `unpackAll` with a fresh unpacker: the stage's entry point.
public func unpackAll(debs: [(name: String, path: String)], into tree: inout FileTree, store: ContentStore,
                      mergedUsr: Bool = true) async throws(RootFSError) -> (packages: [InstalledPackage], conflicts: [PathConflict]) {
    try await DebUnpacker(store: store, mergedUsr: mergedUsr).unpackAll(debs: debs, into: &tree)
}
