import Glibc
import SystemIO

/// Device-mapper devices through /dev/mapper/control: create, load one read-only target,
/// resume — what `dmsetup create --readonly NAME --table …` does.
public enum DeviceMapper {
    public static let controlPath = "/dev/mapper/control"

    public struct Device: Sendable, Equatable {
        public var name: String
        public var major: UInt32
        public var minor: UInt32
        /// /dev/dm-MINOR, which devtmpfs creates (dm minors are the N of dm-N).
        public var kernelPath: String { "/dev/dm-\(minor)" }
        /// /dev/mapper/NAME, which only udev or `ensureNodes` creates.
        public var mapperPath: String { "/dev/mapper/\(name)" }
    }

    /// Create `name` with one target and make it live, read-only. A device whose table
    /// cannot be loaded or resumed is removed again.
    public static func create(name: String, uuid: String?, start: UInt64 = 0, sectors: UInt64, target: String, parameters: String) throws -> Device {
        let control = try System.File(path: controlPath, flags: O_RDWR)
        let spec = DeviceMapperTarget(start: start, length: sectors, type: target, parameters: parameters, readOnly: true)
        let number = try System.mapped { () throws(SystemIOError) -> DeviceNumber in
            typealias Mapper = SystemIO.DeviceMapper
            _ = try Mapper.create(control: control.file, name: name, uuid: uuid)
            do throws(SystemIOError) {
                try Mapper.load(control: control.file, name: name, target: spec)
                return try Mapper.resume(control: control.file, name: name)
            } catch {
                try? Mapper.remove(control: control.file, name: name)
                throw error
            }
        }
        return Device(name: name, major: number.major, minor: number.minor)
    }

    /// Make /dev/mapper/NAME (and /dev/dm-N if devtmpfs has not yet) point at the device.
    public static func ensureNodes(_ device: Device) throws {
        try System.makeDirectory("/dev/mapper")
        try System.ensureBlockNode(device.kernelPath, major: device.major, minor: device.minor)
        try System.ensureBlockNode(device.mapperPath, major: device.major, minor: device.minor)
    }
}
