// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "hostimg",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "hostimg", targets: ["hostimg"]),
        .library(name: "HostImgCore", targets: ["HostImgCore"]),
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
                "HostImgCore", "Crypto", "Drivers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "HostImgCore",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                "ContentStore", "FileTree", "Debian", "Repository", "RootFS", "Configure", "Prune",
                "EROFS", "DMVerity", "GPT", "Bundle", "Crypto", "ELF", "Archive", "Drivers", "KernelModules", "EditDistance",
            ]
        ),

        // System libraries: each enters once, through one Swift module that exposes no C types.
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CKmod", pkgConfig: "libkmod", providers: [.apt(["libkmod-dev"])]),
        .target(name: "Archive", dependencies: ["CArchive"]),
        .target(name: "Zstd", dependencies: ["CZstd"]),
        .target(name: "Crypto", dependencies: ["COpenSSL"]),
        .target(name: "KernelModules", dependencies: ["CKmod"]),
        .target(name: "EditDistance"),
        // Issue: driver pruning through libkmod (kept closure, firmware, regenerated indexes).
        .target(name: "Drivers", dependencies: ["KernelModules", "FileTree", "ContentStore", "EditDistance"]),

        // The root tree: content-addressed blobs on disk, paths and metadata in memory.
        .target(name: "ContentStore", dependencies: ["Crypto"]),
        .target(name: "FileTree", dependencies: ["ContentStore"]),

        // Issue 3, the rootfs stage: Debian metadata and resolution, the repository client,
        // unpacking, configuring and pruning the tree. Each is pure of I/O policy where it can be.
        .target(name: "Debian", dependencies: ["Crypto", "EditDistance"]),
        .target(name: "Repository", dependencies: ["Debian", "ContentStore", "Archive"]),
        .target(name: "RootFS", dependencies: ["Debian", "FileTree", "ContentStore", "Archive"]),
        .target(name: "ELF"),
        .target(name: "Configure", dependencies: ["Debian", "FileTree", "ContentStore", "ELF", "Crypto"]),
        .target(name: "Prune", dependencies: ["FileTree", "ContentStore", "ELF"]),

        // Issue 4, the image stage: one module per on-disk format, pure of I/O policy.
        .target(name: "EROFS", dependencies: ["FileTree", "ContentStore"]),
        .target(name: "DMVerity", dependencies: ["Crypto"]),
        .target(name: "GPT", dependencies: ["Crypto"]),
        .target(name: "Bundle", dependencies: ["Crypto", "Zstd", "Archive"]),

        // The initrd's /init: Swift stdlib linked statically, no Foundation (HostImgInit.swift).
        .target(name: "CShim"),
        .target(name: "HostImgInit", dependencies: ["CShim", "Crypto", "GPT", "DMVerity"]),
        .executableTarget(
            name: "hostimg-init", dependencies: ["HostImgInit"],
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--strip-all", "-Xlinker", "--gc-sections"])]
        ),

        // `make bench`: lint throughput and process wall time.
        .executableTarget(
            name: "hostimg-bench",
            dependencies: ["HostImgCore", .product(name: "Yams", package: "Yams")]
        ),

        .testTarget(name: "HostImgCoreTests", dependencies: ["HostImgCore", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "HostImgCLITests", dependencies: ["HostImgCLI", "HostImgCore"]),
        // Helpers shared by the test targets: running upstream tools, scratch directories.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "Zstd", "TestSupport"]),
        .testTarget(name: "ZstdTests", dependencies: ["Zstd", "TestSupport"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto", "TestSupport"]),
        .testTarget(name: "KernelModulesTests", dependencies: ["KernelModules", "TestSupport"]),
        .testTarget(name: "ContentStoreTests", dependencies: ["ContentStore", "TestSupport"]),
        .testTarget(name: "DriversTests", dependencies: ["Drivers", "KernelModules", "FileTree", "ContentStore", "TestSupport"]),
        .testTarget(name: "DebianTests", dependencies: ["Debian", "Crypto", "TestSupport"]),
        .testTarget(name: "RepositoryTests", dependencies: ["Repository", "ContentStore", "TestSupport"]),
        .testTarget(name: "RootFSTests", dependencies: ["RootFS", "Debian", "FileTree", "ContentStore", "Archive", "TestSupport"]),
        .testTarget(name: "ELFTests", dependencies: ["ELF", "TestSupport"]),
        .testTarget(name: "ConfigureTests", dependencies: ["Configure", "Debian", "FileTree", "ContentStore", "TestSupport"]),
        .testTarget(name: "PruneTests", dependencies: ["Prune", "FileTree", "ContentStore", "TestSupport"]),
        .testTarget(name: "EROFSTests", dependencies: ["EROFS", "FileTree", "ContentStore", "TestSupport"]),
        .testTarget(name: "DMVerityTests", dependencies: ["DMVerity", "Crypto", "TestSupport"]),
        .testTarget(name: "GPTTests", dependencies: ["GPT", "Crypto", "TestSupport"]),
        .testTarget(name: "HostImgInitTests", dependencies: ["HostImgInit", "GPT", "DMVerity", "Crypto", "TestSupport"]),
        .testTarget(name: "BundleTests", dependencies: ["Bundle", "Crypto", "Zstd", "Archive", "TestSupport"]),
        // The image stage end to end on a synthetic tree: upstream tools check every part.
        .testTarget(name: "ImageTests", dependencies: ["HostImgCore", "Crypto", "FileTree", "ContentStore", "GPT", "ELF", "TestSupport"]),
        // `make e2e`: the stages against Debian's mirror, chroot, QEMU. Skipped without
        // HOSTIMG_NETWORK_TESTS=1.
        .testTarget(name: "EndToEndTests", dependencies: ["HostImgCore", "Debian", "ELF", "EROFS", "FileTree", "ContentStore", "Crypto", "Drivers", "RootFS", "TestSupport"]),
    ]
)
