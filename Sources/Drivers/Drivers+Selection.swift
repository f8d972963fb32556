extension Drivers {
    /// What the request selects, with the chain of reasons for each module.
    struct Selection {
        /// Kept loadable modules → reasons, direct reason first.
        var kept: [String: [String]] = [:]
        /// Built-in modules the request reaches (nothing to keep, but `explain` says why).
        var builtins: [String: [String]] = [:]
        var denied: Set<String> = []
        /// Why a denied module would otherwise have been kept.
        var deniedNotes: [String: [String]] = [:]
        /// Hardware id → (module, alias) pairs that match it, loadable and built-in.
        var hardwareMatches: [String: [(module: String, alias: String)]] = [:]
        var hardwareIDs: [PCIID] = []
    }

    static let unselected = "no keep, hardware id or requirement selects it"

    /// The closure modprobe would load for the roots: modules.dep dependencies and the first
    /// softdep line's pre/post modules, recursively. Breadth first, so each module's chain
    /// is a shortest path to a root.
    static func select(_ request: Request, catalog: Catalog) throws(DriversError) -> Selection {
        var selection = Selection()
        for id in request.hardware { selection.hardwareIDs.append(try PCIID(id)) }
        for name in request.deny { selection.denied.formUnion(try catalog.resolve(name)) }

        var queue: [(module: String, chain: [String])] = []
        for requirement in request.required {
            let names = try catalog.resolve(requirement.module)
            guard !names.isEmpty else {
                throw .unknownModule(
                    name: requirement.module, source: "requirement (\(requirement.reason))",
                    suggestions: catalog.suggestions(for: requirement.module))
            }
            for name in names {
                if selection.denied.contains(name) { throw .keptAndDenied(module: name, reason: requirement.reason) }
                queue.append((name, [requirement.reason]))
            }
        }
        for keep in request.keep {
            let names = try catalog.resolve(keep)
            guard !names.isEmpty else {
                throw .unknownModule(name: keep, source: "drivers.keep", suggestions: catalog.suggestions(for: keep))
            }
            for name in names {
                let reason = name == normalize(keep) ? "drivers.keep" : "drivers.keep: \(keep)"
                if selection.denied.contains(name) { throw .keptAndDenied(module: name, reason: reason) }
                queue.append((name, [reason]))
            }
        }
        let candidates: [(module: String, aliases: [String])] =
            catalog.modules.values.map { ($0.name, $0.info.aliases) } + catalog.builtins.values.map { ($0.name, $0.aliases) }
        for id in selection.hardwareIDs {
            var matches: [(module: String, alias: String)] = []
            for candidate in candidates.sorted(by: { $0.module < $1.module }) {
                if let alias = candidate.aliases.first(where: { id.matches(alias: $0) }) { matches.append((candidate.module, alias)) }
            }
            selection.hardwareMatches[id.description] = matches
            for match in matches {
                let reason = "hardware id \(id) matches alias \(match.alias)"
                if selection.denied.contains(match.module) {
                    selection.deniedNotes[match.module, default: []].append("\(reason), but drivers.deny wins")
                } else {
                    queue.append((match.module, [reason]))
                }
            }
        }

        var index = 0
        while index < queue.count {
            let (name, chain) = queue[index]
            index += 1
            if selection.kept[name] != nil || selection.builtins[name] != nil { continue }
            guard let record = catalog.modules[name] else {
                if catalog.builtins[name] != nil { selection.builtins[name] = chain }
                continue
            }
            selection.kept[name] = chain
            let inherited = ["\(name): \(chain[0])"] + chain.dropFirst()
            var seen = Set<String>()
            for dependency in record.info.depends.map(normalize) + record.dependencies where seen.insert(dependency).inserted {
                guard catalog.modules[dependency] != nil || catalog.builtins[dependency] != nil else { continue }
                if selection.denied.contains(dependency) {
                    throw .dependsOnDenied(module: name, denied: dependency, chain: chain)
                }
                queue.append((dependency, ["needed by \(name)"] + inherited))
            }
            for (kind, names) in [("pre", record.pre), ("post", record.post)] {
                for soft in names {
                    let reason = "soft dependency (\(kind)) of \(name)"
                    if selection.denied.contains(soft) {
                        selection.deniedNotes[soft, default: []].append("\(reason), skipped")
                    } else {
                        queue.append((soft, [reason] + inherited))
                    }
                }
            }
        }
        return selection
    }

    /// The report's view of the built-ins: why each is there, and which device drivers no
    /// hardware id matches.
    static func describeBuiltins(_ catalog: Catalog, _ selection: Selection) -> (all: [BuiltinModule], withoutHardware: [String]) {
        var matchedBy: [String: [String]] = [:]
        for (id, matches) in selection.hardwareMatches {
            for match in matches where catalog.builtins[match.module] != nil {
                matchedBy[match.module, default: []].append("hardware id \(id) matches alias \(match.alias)")
            }
        }
        var all: [BuiltinModule] = []
        var withoutHardware: [String] = []
        for (name, builtin) in catalog.builtins.sorted(by: { $0.key < $1.key }) {
            var reasons = ["built into the kernel"]
            let matched = matchedBy[name, default: []].sorted()
            reasons += matched
            if let chain = selection.builtins[name], !chain.allSatisfy({ $0.hasPrefix("hardware id ") }) { reasons += chain }
            if matched.isEmpty && builtin.aliases.contains(where: isDeviceAlias) {
                withoutHardware.append(name)
                reasons.append("no hardware id matches its device aliases; it \(Report.builtinNote)")
            }
            all.append(BuiltinModule(module: name, reasons: reasons))
        }
        return (all, withoutHardware)
    }
}
