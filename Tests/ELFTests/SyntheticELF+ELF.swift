@testable import ELF
import TestSupport

/// The ELF module's names for the builder's class and byte-order switches.
extension SyntheticELF {
    var elfClass: ELF.Class {
        get { is64 ? .elf64 : .elf32 }
        set { is64 = newValue == .elf64 }
    }

    var endianness: ELF.Endianness {
        get { littleEndian ? .little : .big }
        set { littleEndian = newValue == .little }
    }
}
