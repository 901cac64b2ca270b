// swift-tools-version: 6.1
//
// The kexec suite: load kernels to boot now or on panic, and capture and read the
// crash dump afterwards, from user space in Swift. See README.md.

import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "kexec-suite",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "KexecCore", targets: ["KexecCore"]),
        .library(name: "SegmentPlanner", targets: ["SegmentPlanner"]),
        .library(name: "ElfNotes", targets: ["ElfNotes"]),
        .library(name: "ArchI386", targets: ["ArchI386"]),
        .library(name: "ArchX86_64", targets: ["ArchX86_64"]),
        .library(name: "ArchPPC", targets: ["ArchPPC"]),
        .library(name: "CrashDump", targets: ["CrashDump"]),
        .executable(name: "kexec-loader", targets: ["kexec-loader"]),
        .executable(name: "vmcore-dump", targets: ["vmcore-dump"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // C shims: libelf (system library) and the variadic syscall(2) wrappers.
        .systemLibrary(
            name: "CLibElf",
            pkgConfig: "libelf",
            providers: [.apt(["libelf-dev"])]
        ),
        .target(name: "CKexecSyscalls"),
        // Page codecs for kdump-compressed dumps (apt libzstd-dev liblzo2-dev libdeflate-dev).
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLzo2", pkgConfig: "lzo2", providers: [.apt(["liblzo2-dev"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),

        // Libraries, lowest layer first.
        .target(
            name: "KexecCore",
            dependencies: [
                "CKexecSyscalls",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SegmentPlanner",
            dependencies: ["KexecCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .target(name: "ElfNotes", dependencies: ["KexecCore", "CLibElf"], swiftSettings: strict),
        .target(name: "ArchI386", dependencies: ["KexecCore", "SegmentPlanner", "ElfNotes"], swiftSettings: strict),
        .target(name: "ArchX86_64", dependencies: ["ArchI386", "KexecCore", "SegmentPlanner", "ElfNotes"], swiftSettings: strict),
        .target(name: "ArchPPC", dependencies: ["KexecCore", "SegmentPlanner", "ElfNotes"], swiftSettings: strict),
        .target(
            name: "CrashDump",
            dependencies: ["ElfNotes", "KexecCore", "CZstd", "CLzo2", "CDeflate",
                           .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strict
        ),

        // Thin executables: argument parsing and composition only.
        .executableTarget(
            name: "kexec-loader",
            dependencies: [
                "KexecCore",
                "ArchX86_64",
                "ArchI386",
                "ArchPPC",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Examples/kexec-loader",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "vmcore-dump",
            dependencies: [
                "CrashDump",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Examples/vmcore-dump",
            swiftSettings: strict
        ),

        // Tests.
        .target(name: "KexecTestSupport", path: "Tests/KexecTestSupport", swiftSettings: strict),
        .testTarget(
            name: "ArchTests",
            dependencies: ["ArchI386", "ArchX86_64", "KexecCore", "SegmentPlanner", "ElfNotes", "KexecTestSupport",
                           .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KexecCoreTests",
            dependencies: ["KexecCore", "KexecTestSupport", .product(name: "SystemPackage", package: "swift-system")],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ArchPPCTests",
            dependencies: ["ArchPPC", "KexecCore", "SegmentPlanner", "ElfNotes", "KexecTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(name: "SegmentPlannerTests", dependencies: ["SegmentPlanner", "KexecCore", "KexecTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ElfNotesTests",
            dependencies: ["ElfNotes", "KexecCore", "KexecTestSupport", .product(name: "SystemPackage", package: "swift-system")],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CrashDumpTests",
            dependencies: ["CrashDump", "ElfNotes", "KexecCore", "KexecTestSupport", "CDeflate",
                           .product(name: "SystemPackage", package: "swift-system")],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),

        .testTarget(
            name: "ExamplesTests",
            dependencies: ["KexecCore", "ElfNotes", "CrashDump", "kexec-loader", "vmcore-dump", "KexecTestSupport",
                           .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
