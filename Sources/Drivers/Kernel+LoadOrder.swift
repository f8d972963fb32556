import EditDistance
extension Drivers.Kernel {
    /// Tree paths of `modules` and what they pull in, in the order modprobe inserts them:
    /// for each module, its modules.dep dependencies (each with its own soft pre-dependencies
    /// before and post-dependencies after it), then its soft pre-dependencies, the module,
    /// its soft post-dependencies (libkmod `__kmod_module_get_probe_list`). Each path once, at
    /// its first position; built-in modules have no file and are left out.
    ///
    /// Names may be module names or literal aliases; '-' and '_' are alike. A name the kept
    /// set does not have throws `DriversError.unknownModule`.
    public func loadOrder(for names: [String]) throws -> [String] {
        var visited = Set<String>()
        var order: [String] = []
        var placed = Set<String>()

        func append(_ module: String) {
            if let entry = modules[module], placed.insert(module).inserted { order.append(entry.path) }
        }
        func fillSoftdeps(_ module: String) {
            for pre in modules[module]?.pre ?? [] { probe(pre) }
            append(module)
            for post in modules[module]?.post ?? [] { probe(post) }
        }
        func probe(_ module: String) {
            guard visited.insert(module).inserted else { return }
            for dependency in modules[module]?.dependencies ?? [] { fillSoftdeps(dependency) }
            fillSoftdeps(module)
        }

        for name in names {
            let resolved = try resolve(name)
            for module in resolved { probe(module) }
        }
        return order
    }

    /// A kept or built-in module name, or a literal alias of one.
    func resolve(_ name: String) throws(DriversError) -> [String] {
        let normalized = Drivers.normalize(name)
        if modules[normalized] != nil || builtins.contains(normalized) { return [normalized] }
        if let found = aliases[name], !found.isEmpty { return found }
        let known = Array(modules.keys)
        let target = Array(normalized.utf8)
        let close = known.map { (Levenshtein.distance(target, Array($0.utf8)), $0) }
            .filter { $0.0 <= max(2, target.count / 3) }.sorted { $0 < $1 }.prefix(3).map(\.1)
        throw .unknownModule(name: name, source: "load order for \(vmlinuzPath) (not among the kept modules)", suggestions: close)
    }
}
