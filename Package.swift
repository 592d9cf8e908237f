// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Memo",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Memo", targets: ["Memo"]),
        .library(name: "MemoTesting", targets: ["MemoTesting"]),
        // The shared tier on PostgreSQL, in a product of its own: `Memo` alone stays light.
        .library(name: "MemoPostgres", targets: ["MemoPostgres"]),
        .executable(name: "memo", targets: ["MemoTool"]),
        .executable(name: "memo-demo", targets: ["memo-demo"]),
        .executable(name: "memo-fleet-demo", targets: ["memo-fleet-demo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // HMAC signatures of the shared tier; postgres-nio depends on it already. 3.x: the
        // mirror's 4.x would be chosen otherwise.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"4.0.0"),
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
            name: "MemoPostgres",
            dependencies: [
                "Memo",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
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
        // The demos' workload (synthetic signals, a naive DFT), shared by both demos.
        .target(name: "DemoWorkload", dependencies: ["Memo"]),
        .executableTarget(name: "memo-demo", dependencies: ["Memo", "DemoWorkload"]),
        .executableTarget(
            name: "memo-fleet-demo", dependencies: ["Memo", "MemoPostgres", "DemoWorkload"]),
        .executableTarget(
            name: "memo-bench",
            dependencies: [
                "Memo", "MemoTesting", "Cxxhash", "MemoPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Benchmarks/memo-bench"
        ),
        .executableTarget(
            name: "memo-worker", dependencies: ["Memo", "MemoTesting"], path: "Tests/memo-worker"),
        .executableTarget(
            name: "memo-fleet-worker", dependencies: ["Memo", "MemoPostgres"],
            path: "Tests/memo-fleet-worker"),
        // Child processes for the tests: posix_spawn and waitpid, every wait bounded.
        .target(name: "TestProcesses", path: "Tests/TestProcesses"),
        .testTarget(
            name: "MemoTests",
            dependencies: [
                "Memo", "MemoTesting", "Cxxhash", "DemoWorkload", "TestProcesses",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "MemoPostgresTests",
            dependencies: [
                "Memo", "MemoPostgres", "MemoTesting", "TestProcesses",
                .product(name: "PostgresNIO", package: "postgres-nio"),
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
