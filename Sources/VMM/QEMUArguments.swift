/// A QEMU command line as the process was started, read from `/proc/PID/cmdline`, and what
/// the VM plan needs from it: guest RAM (`-m`, `-mem-path`, memory backends and what uses
/// them, `QEMUArguments+Memory.swift`), devices, the QMP sockets, `-incoming`, `-daemonize`,
/// `-pidfile`, `-name`; and the argv to relaunch it with (`with(incomingDefer:)`).
///
/// Splitting follows QEMU's own option table (`qemu-options.hx`): an option word is `-NAME`
/// or `--NAME`; the options marked without an argument there (`flagOptions`) stand alone and
/// every other option takes the next word as its value, whatever it looks like (`-append -v`
/// passes `-v` to the kernel). A running QEMU accepted its command line, so an option this
/// table does not list is one that takes a value. A word that is not an option is positional
/// (QEMU's old `qemu disk.img`).
public struct QEMUArguments: Hashable, Sendable {
    /// One option word and its value, as given.
    public struct Option: Hashable, Sendable {
        /// The name without its leading dashes (`object` for `-object` and `--object`).
        public var name: String
        /// The next word, for an option that takes one; nil for a flag (`-daemonize`).
        public var value: String?
        /// Where the option word sits in `argv`.
        public var index: Int
    }

    /// The words exactly as read, `argv[0]` (the program) included.
    public let argv: [String]
    /// Every option in order.
    public let options: [Option]
    /// Words after `argv[0]` that are neither options nor their values.
    public let positional: [String]

    /// QEMU 7.2's options that take no argument (`DEF(name, 0, ...)` in qemu-options.hx),
    /// with a few older ones still accepted by some builds.
    public static let flagOptions: Set<String> = [
        "h", "help", "version", "S", "s", "snapshot", "usb", "nographic", "full-screen", "portrait", "no-quit",
        "alt-grab", "ctrl-grab", "no-frame", "sdl", "curses", "win2k-hack", "no-fd-bootchk", "no-acpi", "no-hpet",
        "daemonize", "no-reboot", "no-shutdown", "enable-kvm", "no-kvm", "mem-prealloc", "nodefaults",
        "no-user-config", "enable-fips", "only-migratable", "preconfig", "enable-sync-profile", "semihosting",
        "xen-attach", "xen-domid-restrict", "old-param", "singlestep", "audio-help",
    ]

    /// Splits `argv` (program first) into options and their values.
    public init(_ argv: [String]) throws(QEMUArgumentsError) {
        guard !argv.isEmpty else { throw .empty }
        var options: [Option] = []
        var positional: [String] = []
        var index = 1
        while index < argv.count {
            let word = argv[index]
            guard let name = Self.optionName(word) else {
                positional.append(word)
                index += 1
                continue
            }
            if Self.flagOptions.contains(name) {
                options.append(Option(name: name, value: nil, index: index))
                index += 1
            } else {
                guard index + 1 < argv.count else { throw .missingValue(option: word) }
                options.append(Option(name: name, value: argv[index + 1], index: index))
                index += 2
            }
        }
        self.argv = argv
        self.options = options
        self.positional = positional
    }

    /// `/proc/PID/cmdline`: the words each ended by a NUL. Bytes that are not UTF-8 are
    /// replaced (U+FFFD) in the words; such a command line cannot be relaunched byte for byte,
    /// so it is refused instead.
    public init(commandLine bytes: [UInt8]) throws(QEMUArgumentsError) {
        var words = bytes.split(separator: 0, omittingEmptySubsequences: false)
        if words.last?.isEmpty == true { words.removeLast() }
        var argv: [String] = []
        for word in words {
            guard let text = String(validating: word, as: UTF8.self) else { throw .notUTF8(index: argv.count) }
            argv.append(text)
        }
        try self.init(argv)
    }

    /// `NAME` for a word `-NAME` or `--NAME`; nil for a positional word (`-` alone included).
    static func optionName(_ word: String) -> String? {
        guard word.hasPrefix("-"), word.count > 1 else { return nil }
        let name = word.hasPrefix("--") ? word.dropFirst(2) : word.dropFirst()
        return name.isEmpty ? nil : String(name)
    }

    /// The values of every `-name`, in order.
    public func values(of name: String) -> [String] {
        options.compactMap { $0.name == name ? $0.value : nil }
    }

    /// Whether the flag `-name` is present.
    public func has(_ name: String) -> Bool {
        options.contains { $0.name == name }
    }

    /// `-incoming URI` (`defer`, `tcp:...`, `exec:...`): the process waits for a migration.
    public var incoming: String? { values(of: "incoming").last }

    /// `-daemonize`: QEMU forks after initialising and its first process exits.
    public var daemonize: Bool { has("daemonize") }

    /// `-pidfile PATH`.
    public var pidFile: String? { values(of: "pidfile").last }

    /// `-name [guest=]NAME[,...]`: the guest's name, if given.
    public func guestName() throws(QEMUArgumentsError) -> String? {
        guard let text = values(of: "name").last else { return nil }
        return try QEMUOptionList.parse(text, impliedKey: "guest")["guest"]
    }

    /// Every `-device`, in order.
    public func devices() throws(QEMUArgumentsError) -> [Device] {
        try values(of: "device").map { text throws(QEMUArgumentsError) in
            let list = try QEMUOptionList.parse(text, impliedKey: "driver", allowJSON: true)
            guard let driver = list["driver"] else { throw .missingProperty(option: "-device \(text)", key: "driver") }
            return Device(driver: driver, properties: list)
        }
    }

    /// `-machine` and `-M`, merged as QEMU merges them (a later key wins); `type` is the
    /// implied first key.
    public func machine() throws(QEMUArgumentsError) -> QEMUOptionList {
        var merged = QEMUOptionList()
        for option in options where option.name == "machine" || option.name == "M" {
            merged.pairs += try QEMUOptionList.parse(option.value ?? "", impliedKey: "type").pairs
        }
        return merged
    }

    /// The argv to start this VM again on the new kernel: every word as it was, except that
    /// any `-incoming X` and `-daemonize` are removed and, when `incomingDefer`, `-incoming
    /// defer` is appended (QEMU then waits for `migrate-incoming`, and stays paused after it
    /// until `cont` when the VM was stopped before its save). `-daemonize` goes because the
    /// agent starts and watches the process itself: with it, the process the agent started
    /// would exit after initialising and the VM would run in a child nobody waits for;
    /// `-pidfile` stays, so a launcher that reads it still finds the VM. A cold restart
    /// (`incomingDefer: false`) boots the guest afresh from the same command line.
    public func with(incomingDefer: Bool) -> [String] {
        var removed = Set<Int>()
        for option in options where option.name == "incoming" || option.name == "daemonize" {
            removed.insert(option.index)
            if option.value != nil { removed.insert(option.index + 1) }
        }
        var result = argv.enumerated().compactMap { removed.contains($0.offset) ? nil : $0.element }
        if incomingDefer { result += ["-incoming", "defer"] }
        return result
    }
}

extension QEMUArguments {
    /// One `-device`: its driver and its properties (the driver included, as `driver=`).
    public struct Device: Hashable, Sendable {
        public var driver: String
        public var properties: QEMUOptionList

        /// `vfio-pci`, `vfio-pci-nohotplug`, `vfio-ap`, ...: a host device passed through.
        public var isPassthrough: Bool { driver.hasPrefix("vfio-") }

        /// "vfio-pci (id=gpu0, host=0000:01:00.0)": the driver and what identifies it.
        public var summary: String {
            let identity = ["id", "host", "sysfsdev"].compactMap { key in properties[key].map { "\(key)=\($0)" } }
            return identity.isEmpty ? driver : "\(driver) (\(identity.joined(separator: ", ")))"
        }
    }
}

/// Why a QEMU command line could not be read; each names the word or value at fault.
public enum QEMUArgumentsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No words at all (a zombie's or a kernel thread's empty cmdline).
    case empty
    /// Word `index` is not UTF-8.
    case notUTF8(index: Int)
    /// The last word is an option that needs a value.
    case missingValue(option: String)
    /// A `key=value,...` or JSON value that does not parse.
    case badOptionList(String, reason: String)
    /// A value that is not what its key takes.
    case badValue(key: String, value: String, expected: String)
    /// A property QEMU requires is absent.
    case missingProperty(option: String, key: String)
    /// A reference to an object no `-object` defines.
    case unknownReference(from: String, id: String)

    public var description: String {
        switch self {
        case .empty: return "the command line is empty"
        case let .notUTF8(index): return "argument \(index) of the command line is not UTF-8"
        case let .missingValue(option): return "\(option) is the last argument but needs a value"
        case let .badOptionList(text, reason): return "cannot read '\(text)': \(reason)"
        case let .badValue(key, value, expected): return "\(key)=\(value) is not valid: expected \(expected)"
        case let .missingProperty(option, key): return "\(option) has no \(key)="
        case let .unknownReference(from, id): return "\(from) names '\(id)', which no -object defines"
        }
    }
}
