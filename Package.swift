// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "datasync-emulator",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "datasync-emulator", targets: ["datasync-emulator"]),
        .library(name: "DataSyncHTTP", targets: ["DataSyncHTTP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Pure domain: resources, names, states, errors, clock. Foundation only.
        .target(
            name: "DataSyncModel",
            swiftSettings: swiftSettings
        ),
        // The emulator's own state in SQLite, behind intention-named, transaction-scoped methods.
        .target(
            name: "DataSyncStore",
            dependencies: [
                "DataSyncModel",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The T-SQL front end: a tokenizer and a translator from a documented subset of T-SQL to SQLite.
        // Foundation only, so it is unit-testable alone.
        .target(
            name: "TSQL",
            swiftSettings: swiftSettings
        ),
        // The data plane: emulated databases, schema reading, change tracking, moving rows. Knows no HTTP
        // and not the emulator's own state.
        .target(
            name: "DataSyncEngine",
            dependencies: [
                "DataSyncModel",
                "TSQL",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // Operation semantics: validation, state changes, long-running operations. Knows no HTTP.
        .target(
            name: "DataSyncHandlers",
            dependencies: [
                "DataSyncModel",
                "DataSyncStore",
                "DataSyncEngine",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The emulator's own certificate authority, for HTTPS that real clients trust.
        .target(
            name: "EmulatorTLS",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        // The emulator's own sign-in: RS256 signing key, token issuing and checking, OpenID discovery. No HTTP.
        .target(
            name: "EmulatorIdentity",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // ARM conventions: error envelope, api-versions, request ids, bearer tokens. Knows nothing of Data Sync.
        .target(
            name: "ARMConventions",
            dependencies: [
                "EmulatorIdentity",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Hummingbird edge: routes, wire shapes per api-version, the control API.
        .target(
            name: "DataSyncHTTP",
            dependencies: [
                "ARMConventions",
                "DataSyncHandlers",
                "DataSyncEngine",
                "DataSyncModel",
                "DataSyncStore",
                "EmulatorTLS",
                "EmulatorIdentity",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "datasync-emulator",
            dependencies: [
                "ARMConventions",
                "DataSyncHTTP",
                "DataSyncStore",
                "EmulatorTLS",
                "EmulatorIdentity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // `health`: the container image's health check, a one-request HTTP(S) client.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Benchmarks (scripts/bench.sh): a bare Hummingbird baseline, the sync engine on its own, and a generator
        // of large data dirs through the state store.
        .executableTarget(
            name: "bench-hello",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-sync",
            dependencies: [
                "DataSyncEngine",
                "DataSyncModel",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-state",
            dependencies: ["DataSyncModel", "DataSyncStore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DataSyncTests",
            dependencies: [
                "DataSyncHTTP",
                "datasync-emulator",
                "EmulatorTLS",
                "EmulatorIdentity",
                "DataSyncHandlers",
                "DataSyncEngine",
                "DataSyncStore",
                "DataSyncModel",
                "TSQL",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                "ARMConventions",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
