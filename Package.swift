// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "hostimg",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "hostimg", targets: ["hostimg"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // The executable is a doorway: everything lives in HostImgCLI.
        .executableTarget(name: "hostimg", dependencies: ["HostImgCLI"]),
        .target(
            name: "HostImgCLI",
            dependencies: [
                "Manifests", "BuildPipeline", "Crypto", "Drivers", "ByteCodec", "SlotInstall", "Agent", "Bundle", "HostSwitch",
                "Provenance", "Debian",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The manifest: YAML with positions, schema, extends, lint rules, the tuning's
        // command-line rendering. Yams and EditDistance only: lint needs no C library.
        .target(name: "Manifests", dependencies: [.product(name: "Yams", package: "Yams"), "EditDistance", "HostTuning"]),
        // The build: named stages (resolve ... bundle) run by one stage runner.
        .target(
            name: "BuildPipeline",
            dependencies: [
                "Manifests", "ContentStore", "FileTree", "Debian", "Repository", "RootFS", "Configure", "Prune",
                "EROFS", "DMVerity", "GPT", "Bundle", "Crypto", "ELF", "Archive", "Zstd", "Drivers", "Slots",
                "SystemIO", "ByteCodec", "PE", "FAT", "BootEntries", "SBOM", "Provenance", "EditDistance",
            ]
        ),
        // The A/B slot model: a slot's three partitions, pairing, the running slot, states.
        .target(name: "Slots", dependencies: ["GPT", "ByteCodec"]),
        // BLS boot-entry names and their boot counters (NAME+LEFT-DONE.efi).
        .target(name: "BootEntries"),
        // The on-host agent: health gate and blessing (issue 13), the trust store, the switch
        // journal and slot emptying (issue 15). Swift standard library, Glibc and libcrypto,
        // like the init: it runs on every host.
        .target(name: "Agent", dependencies: ["Slots", "BootEntries", "PE", "GPT", "Crypto", "HostTuning", "SystemIO", "ByteCodec"]),
        .target(name: "HostTuning"),
        .target(name: "SlotInstall", dependencies: ["Agent", "Bundle", "BootEntries", "Crypto", "DMVerity", "FAT", "GPT", "PE", "Slots", "SystemIO", "ByteCodec"]),
        // The on-host switch (issue 15): phases 0–3 with the journal, over SlotInstall.
        .target(name: "HostSwitch", dependencies: ["Agent", "SlotInstall", "Bundle", "HTTPSource", "VMM", "QMP", "GPT", "Slots", "SystemIO", "ByteCodec"]),
        .executableTarget(
            name: "hostimg-agent", dependencies: ["Agent", "HostSwitch", "SystemIO"],
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--strip-all", "-Xlinker", "--gc-sections"])]
        ),

        // System libraries: each enters once, through one Swift module that exposes no C types.
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libssl (TLS) apart from libcrypto: only the agent's closure links it, through TLS and
        // HTTPSource, never the statically linked init (which links Crypto).
        .systemLibrary(name: "CSSL", pkgConfig: "libssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CKmod", pkgConfig: "libkmod", providers: [.apt(["libkmod-dev"])]),
        .target(name: "Archive", dependencies: ["CArchive"]),
        .target(name: "Zstd", dependencies: ["CZstd"]),
        .target(name: "Crypto", dependencies: ["COpenSSL", "ByteCodec", "SystemIO"]),
        .target(name: "TLS", dependencies: ["CSSL", "Crypto", "SystemIO"]),
        .target(name: "KernelModules", dependencies: ["CKmod"]),
        .target(name: "EditDistance"),
        // The system layer: every file, block-device and kernel call of the package goes through
        // SystemIO's one funnel (no Foundation: the initrd's /init links it); CSyscalls holds
        // what Swift cannot call (ioctls built from macros, syscalls without a glibc wrapper).
        .target(name: "CSyscalls"),
        .target(name: "SystemIO", dependencies: ["CSyscalls"]),
        // Integers in an explicit byte order and hex: the one codec every format module shares.
        .target(name: "ByteCodec"),
        // Issue: driver pruning through libkmod (kept closure, firmware, regenerated indexes).
        .target(name: "Drivers", dependencies: ["KernelModules", "FileTree", "ContentStore", "EditDistance", "ByteCodec"]),

        // The root tree: content-addressed blobs on disk, paths and metadata in memory.
        .target(name: "ContentStore", dependencies: ["Crypto", "ByteCodec"]),
        .target(name: "FileTree", dependencies: ["ContentStore"]),

        // Issue 3, the rootfs stage: Debian metadata and resolution, the repository client,
        // unpacking, configuring and pruning the tree. Each is pure of I/O policy where it can be.
        .target(name: "Debian", dependencies: ["Crypto", "EditDistance"]),
        .target(name: "Repository", dependencies: ["Debian", "ContentStore", "Archive"]),
        .target(name: "RootFS", dependencies: ["Debian", "FileTree", "ContentStore", "Archive"]),
        .target(name: "ELF", dependencies: ["ByteCodec"]),
        .target(name: "Configure", dependencies: ["Debian", "FileTree", "ContentStore", "ELF", "Crypto", "ByteCodec"]),
        .target(name: "Prune", dependencies: ["FileTree", "ContentStore", "ELF"]),
        // Issue 17: the SPDX 2.3 SBOM of an image (licenses from Debian copyright files).
        .target(name: "SBOM", dependencies: ["Debian", "Crypto"]),
        // Issue 17: SLSA provenance in a DSSE envelope, and its check.
        .target(name: "Provenance", dependencies: ["Crypto", "ByteCodec"]),

        // Issue 4, the image stage: one module per on-disk format, pure of I/O policy.
        .target(name: "EROFS", dependencies: ["FileTree", "ContentStore", "SystemIO", "ByteCodec"]),
        .target(name: "DMVerity", dependencies: ["Crypto", "SystemIO", "ByteCodec"]),
        .target(name: "GPT", dependencies: ["SystemIO", "ByteCodec"]),
        // The ESP: a FAT32 (FAT16/12 when small) writer from files in memory and a reader
        // that lists, reads and renames (boot counting).
        .target(name: "FAT", dependencies: ["SystemIO", "ByteCodec"]),
        .target(name: "Bundle", dependencies: ["Crypto", "Zstd", "SystemIO", "ByteCodec"]),
        // An HTTP/1.1 client over SystemIO's sockets and the bundle input it serves: the agent
        // streams `hostimg switch http(s)://...` without a local copy. Foundation-free.
        .target(name: "HTTPSource", dependencies: ["SystemIO", "Bundle", "TLS"]),
        // QMP, QEMU's JSON control protocol: a JSON value type and an async client over a Unix
        // socket (negotiation, typed replies and errors, events, a time-out on every wait).
        .target(name: "QMP", dependencies: ["SystemIO", "ByteCodec"]),
        // VM preservation across the host's kexec (AGENT.md): discovery of QEMUs in
        // /run/hostimg/vms, the per-VM plan, save and restore through QMP, the sentinel.
        .target(name: "VMM", dependencies: ["QMP", "Crypto", "SystemIO", "ByteCodec"]),
        // PE/COFF: the unified kernel image (systemd-stub + sections) and its Authenticode signature.
        .target(name: "PE", dependencies: ["Crypto", "ByteCodec"]),

        // The initrd's /init: one statically linked program (Swift runtime, glibc, libcrypto),
        // no Foundation, so the initrd carries no shared library (docs/boot.md, "Size and
        // speed"). Linking it, ld warns that dlopen, getaddrinfo and gethostbyname would need
        // glibc's shared libraries at run time: libcrypto and the Swift runtime refer to them,
        // the init never calls them.
        .target(name: "HostImgInit", dependencies: ["SystemIO", "Crypto", "GPT", "DMVerity", "Slots", "ByteCodec"]),
        // Its C start-up, before the Swift runtime's initializers (cinitstartup.c says why).
        .target(name: "CInitStartup"),
        .executableTarget(
            name: "hostimg-init", dependencies: ["HostImgInit", "CInitStartup"],
            linkerSettings: [.unsafeFlags(["-static-executable", "-Xlinker", "--strip-all", "-Xlinker", "--gc-sections"])]
        ),

        // `make bench`: lint throughput and process wall time.
        .executableTarget(
            name: "hostimg-bench",
            dependencies: ["Manifests", .product(name: "Yams", package: "Yams")]
        ),
        // `make bench`: a VM-preserving switch's blackout against guest RAM (issue 16).
        .executableTarget(
            name: "hostimg-vm-bench",
            dependencies: ["HostSwitch", "Agent", "VMM", "QMP", "SystemIO"]
        ),

        // `make fuzz`: coverage-guided fuzzing (libFuzzer) of every reader of an artefact a
        // host receives, one executable per reader over one harness; built normally, each
        // replays files and writes the seed corpus.
        .target(
            name: "ReaderFuzzing",
            dependencies: [
                "BuildPipeline", "Bundle", "ByteCodec", "ContentStore", "Crypto", "DMVerity", "EROFS", "FAT", "FileTree", "GPT",
                "PE", "Slots", "SystemIO",
            ]
        ),
        .executableTarget(name: "fuzz-gpt", dependencies: ["ReaderFuzzing"]),
        .executableTarget(name: "fuzz-erofs", dependencies: ["ReaderFuzzing"]),
        .executableTarget(name: "fuzz-verity", dependencies: ["ReaderFuzzing"]),
        .executableTarget(name: "fuzz-verity-sig", dependencies: ["ReaderFuzzing"]),
        .executableTarget(name: "fuzz-bundle", dependencies: ["ReaderFuzzing"]),
        .executableTarget(name: "fuzz-pe", dependencies: ["ReaderFuzzing"]),
        .executableTarget(name: "fuzz-fat", dependencies: ["ReaderFuzzing"]),

        .testTarget(name: "ManifestsTests", dependencies: ["Manifests", "HostTuning", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "HostImgCLITests", dependencies: ["HostImgCLI", "Manifests", "BuildPipeline", "SystemIO", "TestSupport", "Debian", "FileTree",
                                                     "ContentStore"]),
        // The module graph against the layers of docs/architecture.md.
        .testTarget(name: "ArchitectureTests"),
        .testTarget(name: "SlotsTests", dependencies: ["Slots", "GPT", "TestSupport"]),
        .testTarget(name: "BootEntriesTests", dependencies: ["BootEntries"]),
        .testTarget(name: "QMPTests", dependencies: ["QMP", "SystemIO", "TestSupport"]),
        .testTarget(name: "VMMTests", dependencies: ["VMM", "QMP", "Crypto", "SystemIO", "ByteCodec", "TestSupport"]),
        .testTarget(name: "SlotInstallTests", dependencies: ["SlotInstall", "HostSwitch", "VMM", "QMP", "PE", "SystemIO", "Agent", "Bundle", "Crypto", "DMVerity", "FAT", "GPT", "Slots", "ByteCodec", "TestSupport"]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "HostTuning", "Crypto", "GPT", "Slots", "SystemIO", "ByteCodec", "TestSupport"]),
        // The promises file both sides read: its syntax, PCI addresses, CPU lists.
        .testTarget(name: "HostTuningTests", dependencies: ["HostTuning"]),
        // Helpers shared by the test targets: running upstream tools, scratch directories.
        .target(name: "TestSupport", dependencies: ["SystemIO"], path: "Tests/TestSupport"),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "Zstd", "TestSupport"]),
        .testTarget(name: "ZstdTests", dependencies: ["Zstd", "TestSupport"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto", "ByteCodec", "TestSupport"]),
        .testTarget(name: "ByteCodecTests", dependencies: ["ByteCodec"]),
        .testTarget(name: "KernelModulesTests", dependencies: ["KernelModules", "TestSupport"]),
        .testTarget(name: "ContentStoreTests", dependencies: ["ContentStore", "TestSupport"]),
        .testTarget(name: "DriversTests", dependencies: ["Drivers", "KernelModules", "FileTree", "ContentStore", "TestSupport"]),
        .testTarget(name: "DebianTests", dependencies: ["Debian", "Crypto", "TestSupport"]),
        .testTarget(name: "RepositoryTests", dependencies: ["Repository", "ContentStore", "TestSupport"]),
        .testTarget(name: "RootFSTests", dependencies: ["RootFS", "Debian", "FileTree", "ContentStore", "Archive", "TestSupport"]),
        .testTarget(name: "ELFTests", dependencies: ["ELF", "TestSupport"]),
        .testTarget(name: "ConfigureTests", dependencies: ["Configure", "Debian", "FileTree", "ContentStore", "TestSupport"]),
        .testTarget(name: "PruneTests", dependencies: ["Prune", "FileTree", "ContentStore", "TestSupport"]),
        .testTarget(name: "EROFSTests", dependencies: ["EROFS", "FileTree", "ContentStore", "ByteCodec", "TestSupport"]),
        .testTarget(name: "DMVerityTests", dependencies: ["DMVerity", "Crypto", "ByteCodec", "TestSupport"]),
        .testTarget(name: "FATTests", dependencies: ["FAT", "SystemIO", "TestSupport"]),
        .testTarget(name: "GPTTests", dependencies: ["GPT", "Crypto", "SystemIO", "ByteCodec", "TestSupport"]),
        .testTarget(name: "SBOMTests", dependencies: ["SBOM", "TestSupport"]),
        .testTarget(name: "ProvenanceTests", dependencies: ["Provenance", "Crypto", "TestSupport"]),
        .testTarget(name: "SystemIOTests", dependencies: ["SystemIO", "TestSupport"]),
        .testTarget(name: "HostImgInitTests", dependencies: ["HostImgInit", "Slots", "GPT", "DMVerity", "Crypto", "ByteCodec", "SystemIO", "TestSupport"]),
        .testTarget(name: "BundleTests", dependencies: ["Bundle", "Crypto", "Zstd", "Archive", "TestSupport"]),
        // The HTTP client and the bundle input against loopback servers (Python scripts).
        .testTarget(name: "HTTPSourceTests", dependencies: ["HTTPSource", "Bundle", "Crypto", "SystemIO", "TLS", "TestSupport"], exclude: ["server.py"]),
        .testTarget(name: "PETests", dependencies: ["PE", "Crypto", "ByteCodec", "TestSupport"]),
        // The image stage end to end on a synthetic tree: upstream tools check every part.
        .testTarget(name: "ImageTests", dependencies: ["BuildPipeline", "Manifests", "Slots", "Crypto", "PE", "FileTree", "ContentStore", "GPT", "ELF", "EROFS", "ByteCodec", "Bundle", "SystemIO", "TestSupport"]),
        // Every crash the fuzzers ever found, and the seeds, replayed (Tests/Fuzz/READER/...).
        .testTarget(name: "FuzzRegressionTests", dependencies: ["ReaderFuzzing"]),
        // `make e2e`: the stages against Debian's mirror, chroot, QEMU. Skipped without
        // HOSTIMG_NETWORK_TESTS=1.
        .testTarget(name: "EndToEndTests", dependencies: ["BuildPipeline", "Provenance", "PE", "Manifests", "HostTuning", "SlotInstall", "Agent", "Bundle", "Debian", "ELF", "EROFS", "FileTree", "ContentStore", "Crypto", "Drivers", "RootFS", "TestSupport"]),
    ]
)
