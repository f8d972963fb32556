/// Reading the parts of ELF objects that an image build cares about: which architecture an
/// object is for, which interpreter it asks for, and which shared libraries it needs or
/// provides. Nothing is executed or relocated; only the file header, the program headers and
/// the dynamic segment (with the strings it names) are read, so a 200 MB binary costs a few
/// kilobytes of I/O.
///
/// Layout (System V ABI, "gABI" chapter 4 and 5; sizes for ELFCLASS32 / ELFCLASS64):
///
/// ```
/// offset 0   ┌──────────────────────────────┐
///            │ e_ident[16]                  │ 7f 'E' 'L' 'F', class, data, version, OS ABI, ...
///            │ e_type e_machine e_version   │ 2 + 2 + 4 bytes
///            │ e_entry e_phoff e_shoff      │ 4/8 bytes each ("word" fields)
///            │ e_flags e_ehsize e_phentsize │
///            │ e_phnum e_shentsize e_shnum  │
///            │ e_shstrndx                   │ header: 52 / 64 bytes
/// e_phoff    ├──────────────────────────────┤
///            │ Elf_Phdr × e_phnum           │ 32 / 56 bytes each: PT_LOAD, PT_INTERP, PT_DYNAMIC...
///            ├──────────────────────────────┤
///            │ ... segments ...             │ PT_INTERP: NUL-terminated path
///            │                              │ PT_DYNAMIC: Elf_Dyn × n (8 / 16 bytes), ends at DT_NULL
///            │                              │ DT_STRTAB: a virtual address, mapped to a file offset
///            │                              │   through the PT_LOAD segment that contains it
/// e_shoff    ├──────────────────────────────┤
///            │ Elf_Shdr × e_shnum           │ only read when there is no PT_DYNAMIC (SHT_DYNAMIC)
///            └──────────────────────────────┘
/// ```
///
/// Every multi-byte field is decoded in the byte order `e_ident[EI_DATA]` names, every offset
/// and count is checked against the file size before it is used, and loops are bounded by
/// those counts, so a truncated or hostile file gives an `ELF.ParseError`, never a crash.
public enum ELF {
    /// `\x7fELF`.
    public static let magic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]

    /// True when `prefix` starts with the ELF magic (a cheap test before any parsing).
    public static func hasMagic<C: Collection>(_ prefix: C) -> Bool where C.Element == UInt8 {
        prefix.count >= 4 && zip(prefix.prefix(4), magic).allSatisfy { $0 == $1 }
    }

    /// `e_ident[EI_CLASS]`.
    public enum Class: UInt8, Sendable, Hashable, Codable, CustomStringConvertible {
        case elf32 = 1
        case elf64 = 2

        public var description: String { self == .elf32 ? "ELF32" : "ELF64" }
        /// Size of an address / offset ("word" in this reader): 4 or 8 bytes.
        public var wordSize: Int { self == .elf32 ? 4 : 8 }
    }

    /// `e_ident[EI_DATA]`.
    public enum Endianness: UInt8, Sendable, Hashable, Codable, CustomStringConvertible {
        case little = 1
        case big = 2

        public var description: String { self == .little ? "little-endian" : "big-endian" }
    }

    /// `e_type`. Values outside the named ones (OS- or processor-specific) are kept as they are.
    public struct FileType: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let none = FileType(rawValue: 0)
        public static let relocatable = FileType(rawValue: 1)  // ET_REL
        public static let executable = FileType(rawValue: 2)   // ET_EXEC
        public static let shared = FileType(rawValue: 3)       // ET_DYN (libraries and PIEs)
        public static let core = FileType(rawValue: 4)         // ET_CORE

        public var description: String {
            switch rawValue {
            case 0: return "NONE"
            case 1: return "REL"
            case 2: return "EXEC"
            case 3: return "DYN"
            case 4: return "CORE"
            default: return "type 0x\(String(rawValue, radix: 16))"
            }
        }
    }

    /// `e_machine` (gABI "Machine" table; the numbers are registered with the gABI maintainers).
    public struct Machine: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let none = Machine(rawValue: 0)
        public static let sparc = Machine(rawValue: 2)
        public static let i386 = Machine(rawValue: 3)        // EM_386
        public static let m68k = Machine(rawValue: 4)
        public static let mips = Machine(rawValue: 8)
        public static let powerpc = Machine(rawValue: 20)
        public static let ppc64 = Machine(rawValue: 21)
        public static let s390 = Machine(rawValue: 22)       // also s390x
        public static let arm = Machine(rawValue: 40)
        public static let sparcv9 = Machine(rawValue: 43)
        public static let ia64 = Machine(rawValue: 50)
        public static let x86_64 = Machine(rawValue: 62)     // EM_X86_64
        public static let aarch64 = Machine(rawValue: 183)   // EM_AARCH64
        public static let riscv = Machine(rawValue: 243)
        public static let bpf = Machine(rawValue: 247)
        public static let loongarch = Machine(rawValue: 258)

        public var description: String {
            switch rawValue {
            case 0: return "none"
            case 2: return "SPARC"
            case 3: return "i386"
            case 4: return "m68k"
            case 8: return "MIPS"
            case 20: return "PowerPC"
            case 21: return "PowerPC64"
            case 22: return "s390"
            case 40: return "ARM"
            case 43: return "SPARCv9"
            case 50: return "IA-64"
            case 62: return "x86-64"
            case 183: return "AArch64"
            case 243: return "RISC-V"
            case 247: return "BPF"
            case 258: return "LoongArch"
            default: return "machine \(rawValue)"
            }
        }
    }

    /// `e_ident[EI_OSABI]`.
    public struct OSABI: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let systemV = OSABI(rawValue: 0)
        public static let gnu = OSABI(rawValue: 3)  // ELFOSABI_GNU (historically ELFOSABI_LINUX)
        public static let freeBSD = OSABI(rawValue: 9)
        public static let standalone = OSABI(rawValue: 255)

        public var description: String {
            switch rawValue {
            case 0: return "UNIX - System V"
            case 3: return "UNIX - GNU"
            case 9: return "UNIX - FreeBSD"
            case 255: return "Standalone App"
            default: return "OS ABI \(rawValue)"
            }
        }
    }

    /// Why an object could not be read. Each message names the offending value and the
    /// limit it broke, so a report can say which file is damaged and how.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case notELF
        case truncated(what: String, offset: UInt64, needed: UInt64, fileSize: UInt64)
        case invalidClass(UInt8)
        case invalidEndianness(UInt8)
        case invalidHeaderSize(what: String, value: UInt64, expected: UInt64)
        case tooLarge(what: String, value: UInt64, limit: UInt64)
        case unmappedAddress(what: String, address: UInt64)
        case unterminatedString(what: String, offset: UInt64)
        case io(path: String, message: String)

        public var description: String {
            switch self {
            case .notELF:
                return "not an ELF object: the first four bytes are not 7f 45 4c 46 ('\\x7fELF')"
            case let .truncated(what, offset, needed, fileSize):
                return "truncated ELF: \(what) needs \(needed) bytes at offset \(offset), but the file has \(fileSize) bytes"
            case let .invalidClass(value):
                return "invalid ELF class \(value) in e_ident[EI_CLASS]; valid are 1 (ELF32) and 2 (ELF64)"
            case let .invalidEndianness(value):
                return "invalid ELF data encoding \(value) in e_ident[EI_DATA]; valid are 1 (little-endian) and 2 (big-endian)"
            case let .invalidHeaderSize(what, value, expected):
                return "\(what) is \(value), expected at least \(expected)"
            case let .tooLarge(what, value, limit):
                return "\(what) is \(value), more than this reader accepts (\(limit))"
            case let .unmappedAddress(what, address):
                return "\(what) address 0x\(String(address, radix: 16)) lies in no PT_LOAD segment of the file"
            case let .unterminatedString(what, offset):
                return "\(what) at offset \(offset) has no terminating NUL within its table"
            case let .io(path, message):
                return "\(path): \(message)"
            }
        }
    }
}
