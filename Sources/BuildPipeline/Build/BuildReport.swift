import Configure
import Drivers
import Prune
import RootFS
import Manifests

/// `report.json` in the output directory: what went into the tree, what was taken out and
/// why, and how long each stage took. Keys are sorted so two builds diff cleanly.
public struct BuildReport: Sendable, Codable {
    public struct Stage: Sendable, Codable {
        public var name: String
        public var seconds: Double
        public var summary: String
    }

    public struct Package: Sendable, Codable {
        public var name: String
        public var version: String
        public var architecture: String
        public var selectedBy: String
    }

    public struct Conflict: Sendable, Codable {
        public var path: String
        /// In unpack order; the last one's file is in the tree.
        public var packages: [String]
    }

    public struct Configuration: Sendable, Codable {
        public var usersCreated: [String]
        public var groupsCreated: [String]
        public var libraries: Int
        public var unitLinks: [String]
        public var alternatives: [String: String]
        /// Configuration files written from package templates (ucf, pam-auth-update).
        public var configFiles: [String]
        /// tmpfiles.d entries on the read-only root, made at build time.
        public var tmpfilesCreated: [String]
        /// Maintainer-script lines hostimg did not emulate, so a reader can check them.
        public var skippedScriptLines: [String]
    }

    public var image: String
    public var version: String
    public var sourceDateEpoch: Int64
    public var packages: [Package] = []
    public var conflicts: [Conflict] = []
    public var configuration: Configuration?
    public var pruned: PruneReport?
    public var files: Int = 0
    public var rootfsBytes: UInt64 = 0
    public var stages: [Stage] = []
    /// The disk image and bundle; nil when the build stopped at the root tree.
    public var disk: Image?
    /// Kernel modules and firmware kept and removed, and why (`hostimg explain module`).
    public var drivers: Drivers.Report?
    /// The slot's kernel, initrd and command line.
    public var boot: BootFiles?
    /// What the tuning section rendered, each file and setting with its manifest line.
    public var tuning: Tuning?

    public struct Tuning: Sendable, Codable {
        public struct File: Sendable, Codable {
            public var path: String
            public var why: String
            public var source: Manifests.SourceLocation
        }

        /// Each manifest setting and where it lands (`hostimg explain tuning`).
        public var settings: [TuningRender.Setting]
        public var files: [File]
        public var usersCreated: [String]
        public var groupsCreated: [String]
    }

    init(image: String, version: String, sourceDateEpoch: Int64) {
        self.image = image
        self.version = version
        self.sourceDateEpoch = sourceDateEpoch
    }

    mutating func record(_ report: Configure.Report) {
        configuration = Configuration(usersCreated: report.usersCreated, groupsCreated: report.groupsCreated,
                                      libraries: report.libraries, unitLinks: report.unitLinks,
                                      alternatives: report.alternatives, configFiles: report.configFiles,
                                      tmpfilesCreated: report.tmpfilesCreated,
                                      skippedScriptLines: report.skipped)
    }
}
