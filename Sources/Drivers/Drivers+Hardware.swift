#if canImport(Glibc)
import Glibc
#endif

import ByteCodec

extension Drivers {
    /// A PCI vendor:device id from the manifest, and how it meets module aliases.
    ///
    /// The kernel announces a PCI device as the modalias (drivers/pci/pci-driver.c, `pci_uevent`)
    ///
    ///     pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X
    ///          vendor device subvendor subdevice class subclass prog-if   (uppercase hex)
    ///
    /// and modprobe loads every module with an alias pattern that `fnmatch(pattern, modalias, 0)`
    /// accepts (libkmod `kmod_module_new_from_lookup`). A manifest only knows vendor and device,
    /// so a pattern is split at its field markers and the vendor and device fields are
    /// fnmatch'ed against the 8-digit uppercase values, as modprobe would; subvendor and
    /// subdevice are taken to match (any value is possible). Class fields are unknown too, so
    /// an alias that leaves the device open (`d*`) but pins a class (`bc01sc01i*`: ata_generic,
    /// cxl_pci) does not match: it selects by class, which a vendor:device id cannot show.
    /// Vendor-wide aliases without class (`pci:v00001AF4d*sv*sd*bc*sc*i*`: virtio_pci) match.
    public struct PCIID: Sendable, Hashable, CustomStringConvertible {
        public var vendor: UInt16
        public var device: UInt16

        /// Parses "vvvv:dddd" (four hex digits each, either case).
        public init(_ text: String) throws(DriversError) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ $0.count == 4 && $0.allSatisfy(\.isHexDigit) }),
                let vendor = UInt16(parts[0], radix: 16), let device = UInt16(parts[1], radix: 16)
            else { throw .malformedHardwareID(text) }
            self.vendor = vendor
            self.device = device
        }

        /// As the manifest writes it: lowercase "8086:10d3".
        public var description: String { Hex.encode(vendor, digits: 4) + ":" + Hex.encode(device, digits: 4) }

        /// The vendor and device fields of the kernel's modalias: "0000VVVV", uppercase.
        var modaliasVendor: String { Hex.encode(vendor, digits: 8, uppercase: true) }
        var modaliasDevice: String { Hex.encode(device, digits: 8, uppercase: true) }

        /// Whether a module alias pattern could match this device (see the type's comment).
        public func matches(alias: String) -> Bool {
            guard let fields = PCIAliasFields(alias) else { return false }
            if fields.device == "*" && !(fields.baseClass == "*" && fields.subClass == "*" && fields.interface.allSatisfy({ $0 == "*" })) {
                return false
            }
            return fnmatch(fields.vendor, modaliasVendor, 0) == 0 && fnmatch(fields.device, modaliasDevice, 0) == 0
        }
    }

    /// The fields of a `pci:` alias pattern, split at the markers file2alias writes
    /// (scripts/mod/file2alias.c `do_pci_entry`): each field is hex digits or `*`, so the
    /// lowercase markers cannot occur inside one.
    struct PCIAliasFields {
        var vendor: String
        var device: String
        var subvendor: String
        var subdevice: String
        var baseClass: String
        var subClass: String
        var interface: String

        init?(_ alias: String) {
            guard alias.hasPrefix("pci:v") else { return nil }
            var rest = Substring(alias.dropFirst("pci:v".count))
            func take(until marker: String) -> String? {
                guard let range = rest.range(of: marker) else { return nil }
                let field = String(rest[..<range.lowerBound])
                rest = rest[range.upperBound...]
                return field
            }
            guard let vendor = take(until: "d"), let device = take(until: "sv"), let subvendor = take(until: "sd"),
                let subdevice = take(until: "bc"), let baseClass = take(until: "sc"), let subClass = take(until: "i")
            else { return nil }
            self.vendor = vendor
            self.device = device
            self.subvendor = subvendor
            self.subdevice = subdevice
            self.baseClass = baseClass
            self.subClass = subClass
            interface = String(rest)
        }
    }

    /// Alias prefixes of buses that enumerate devices by id. A built-in module with such an
    /// alias is a device driver; the build report lists those no hardware id matches.
    /// Platform, ACPI and CPU-feature aliases are left out: every PC has those devices.
    static let deviceAliasPrefixes = [
        "pci:", "usb:", "virtio:", "vmbus:", "xen:", "hid:", "sdio:", "pcmcia:", "ieee1394:", "ssb:", "bcma:",
    ]

    static func isDeviceAlias(_ alias: String) -> Bool {
        deviceAliasPrefixes.contains { alias.hasPrefix($0) }
    }
}
