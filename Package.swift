// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Memo",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Memo", targets: ["Memo"]),
        .library(name: "MemoTesting", targets: ["MemoTesting"]),
        .executable(name: "memo", targets: ["MemoTool"]),
        .executable(name: "memo-demo", targets: ["memo-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        // `make docs` only: a command plugin, built when invoked, never linked.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "Cxxhash",
            pkgConfig: "libxxhash",
            providers: [.apt(["libxxhash-dev"]), .brew(["xxhash"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        .target(name: "CPlatform"),
        .target(
            name: "Memo",
            dependencies: [
                "Cxxhash", "CSQLite", "CPlatform",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "MemoTesting",
            dependencies: ["Memo", .product(name: "SystemPackage", package: "swift-system")]
        ),
        // The `memo` tool. Its module is MemoTool, not `memo`, which would clash with
        // `Memo` on case-insensitive file systems.
        .executableTarget(
            name: "MemoTool",
            dependencies: ["Memo", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/memo"
        ),
        .executableTarget(name: "memo-demo", dependencies: ["Memo"]),
        .executableTarget(
            name: "memo-bench",
            dependencies: ["Memo", "Cxxhash"],
            path: "Benchmarks/memo-bench"
        ),
        .executableTarget(name: "memo-worker", dependencies: ["Memo"], path: "Tests/memo-worker"),
        .testTarget(
            name: "MemoTests",
            dependencies: [
                "Memo", "MemoTesting", "Cxxhash",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
    ]
)

// Shared settings for every Swift target: Swift 6 mode plus the upcoming features that
// keep imports honest and existentials explicit.
for target in package.targets where target.type != .system && target.name != "CPlatform" {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
