// swift-tools-version: 6.1
//
// Benchmarks, kept out of the main package so `swift test` and CI stay fast.
// ordo-one/benchmark 1.38.1 needs ordo-one/swift-runtime-interposer on Swift 6.3
// Linux, which this machine's package mirror does not carry, so these are plain
// executables timing with ContinuousClock and reporting medians and ratios.
//
//     swift run -c release --package-path Benchmarks plan-benchmark

import PackageDescription

let package = Package(
    name: "kexec-suite-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "kexec-suite", path: "..")],
    targets: [
        .executableTarget(
            name: "plan-benchmark",
            dependencies: [
                .product(name: "KexecCore", package: "kexec-suite"),
                .product(name: "SegmentPlanner", package: "kexec-suite"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
