extension Configure {
    /// The shell variables of one maintainer script that configure can know without running
    /// it, read line by line in text order (an approximation: a function's lines count where
    /// they are written, which is how postinst scripts are laid out in practice).
    ///
    /// Known: `NAME=literal` (no `$`, backquote or command substitution on the right), and a
    /// temporary copy of a template, `NAME="$(mktemp)"` followed by `cp [-opts] TEMPLATE
    /// "$NAME"`, which stands for TEMPLATE (openssh-server renders its sshd_config that way).
    /// `DPKG_ROOT` is empty, as it is outside dpkg's `--root` installs. Any other assignment
    /// forgets the name, so a word built from it stays unresolved and the caller skips it.
    struct ScriptVariables {
        private var values: [String: String] = ["DPKG_ROOT": ""]
        private var temporaries: Set<String> = []

        /// Updates the known values from one logical line.
        mutating func observe(_ text: String) {
            let (words, _) = Configure.shellWords(Substring(text.trimmed()))
            guard let first = words.first else { return }
            if let equals = first.firstIndex(of: "="), Self.isName(first[..<equals]) {
                let name = String(first[..<equals])
                let value = String(first[first.index(after: equals)...])
                values[name] = nil
                temporaries.remove(name)
                if value == "$(mktemp)" || value == "`mktemp`" {
                    temporaries.insert(name)
                } else if words.count == 1, !value.contains("$"), !value.contains("`") {
                    values[name] = value
                }
                return
            }
            if let (cpWords, _) = Configure.command("cp", in: text) {
                let operands = cpWords.filter { !$0.hasPrefix("-") }
                guard operands.count == 2, let name = Self.reference(operands[1]), temporaries.contains(name),
                      let source = resolve(operands[0]) else { return }
                values[name] = source
            }
        }

        /// `word` with `$NAME`/`${NAME}` references replaced, or nil when one is unknown or
        /// the word holds another expansion.
        func resolve(_ word: String) -> String? {
            var result = ""
            var rest = Substring(word)
            while let dollar = rest.firstIndex(of: "$") {
                result += rest[..<dollar]
                rest = rest[rest.index(after: dollar)...]
                var name: Substring
                if rest.hasPrefix("{") {
                    guard let close = rest.firstIndex(of: "}") else { return nil }
                    name = rest[rest.index(after: rest.startIndex)..<close]
                    rest = rest[rest.index(after: close)...]
                } else {
                    name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                    rest = rest.dropFirst(name.count)
                }
                guard Self.isName(name), let value = values[String(name)] else { return nil }
                result += value
            }
            result += rest
            return result.contains("`") ? nil : result
        }

        /// The template a line edits in place through its temporary copy (`sed -i ... "$NAME"`).
        func templateEdit(in text: String) -> String? {
            guard let (words, _) = Configure.command("sed", in: text),
                  words.contains(where: { $0 == "-i" || $0.hasPrefix("-i") || $0 == "--in-place" }),
                  let last = words.last, let name = Self.reference(last), temporaries.contains(name) else { return nil }
            return values[name]
        }

        /// `$NAME` or `${NAME}` → NAME.
        static func reference(_ word: String) -> String? {
            var body = Substring(word)
            guard body.hasPrefix("$") else { return nil }
            body = body.dropFirst()
            if body.hasPrefix("{") && body.hasSuffix("}") { body = body.dropFirst().dropLast() }
            return isName(body) ? String(body) : nil
        }

        static func isName(_ text: Substring) -> Bool {
            guard let first = text.first, first.isLetter || first == "_" else { return false }
            return text.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" }
        }
    }
}
