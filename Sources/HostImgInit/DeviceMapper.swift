import CShim
import Glibc

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
        var major: UInt32 = 0
        var minor: UInt32 = 0
        var result = hostimg_dm_create(control.descriptor, name, uuid, &major, &minor)
        guard result == 0 else { throw System.fail("DM_DEV_CREATE", name, -result) }
        result = hostimg_dm_load_table(control.descriptor, name, start, sectors, target, parameters, 1)
        guard result == 0 else {
            _ = hostimg_dm_remove(control.descriptor, name)
            throw System.fail("DM_TABLE_LOAD \"\(start) \(sectors) \(target) \(parameters)\" into", name, -result)
        }
        result = hostimg_dm_resume(control.descriptor, name, &major, &minor)
        guard result == 0 else {
            _ = hostimg_dm_remove(control.descriptor, name)
            throw System.fail("DM_DEV_SUSPEND (resume)", name, -result)
        }
        return Device(name: name, major: major, minor: minor)
    }

    /// Make /dev/mapper/NAME (and /dev/dm-N if devtmpfs has not yet) point at the device.
    public static func ensureNodes(_ device: Device) throws {
        try System.makeDirectory("/dev/mapper")
        try System.ensureBlockNode(device.kernelPath, major: device.major, minor: device.minor)
        try System.ensureBlockNode(device.mapperPath, major: device.major, minor: device.minor)
    }
}
