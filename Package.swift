// swift-tools-version:6.0
import PackageDescription

/// The request path crosses JSONRPC → SportelloService → SportelloServer generics; letting the
/// optimizer see across modules specializes them for the server's own context type.
let crossModuleOptimization: [SwiftSetting] = [
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
]

let package = Package(
    name: "sportello",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sportello", targets: ["sportello"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    ],
    targets: [
        // System libraries (Debian: libsystemd-dev, libargon2-dev).
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),

        // Linux calls Swift's Glibc module lacks (syncfs for batched Maildir delivery, mallopt for
        // the server's large transient buffers).
        .target(name: "CSyscalls"),
        // Pure rules: no I/O, clock injected.
        .target(name: "SportelloDomain"),
        // SQLite through GRDB: migrations, records, queries.
        .target(name: "SportelloStore", dependencies: [
            "SportelloDomain",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "CompressNIO", package: "compress-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // JSON-RPC 2.0 protocol only; knows nothing of tickets.
        .target(name: "JSONRPC", swiftSettings: crossModuleOptimization),
        // The operations: decode params, authorise, transact, answer.
        .target(name: "SportelloService", dependencies: [
            "SportelloDomain", "SportelloStore", "SportelloMail", "JSONRPC", "CArgon2", "CSyscalls",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], swiftSettings: crossModuleOptimization, plugins: ["EmbedSchema"]),
        // Build tools: embed schema/sportello.openrpc.json into SportelloService (what rpc.discover
        // serves) and generate the method types it declares, so the document in schema/ stays
        // the single source. Foundation only: they run at build time.
        .executableTarget(name: "embed-resource"),
        .executableTarget(name: "openrpc-generate"),
        .plugin(name: "EmbedSchema", capability: .buildTool(), dependencies: ["embed-resource", "openrpc-generate"]),
        // Mail as bytes: RFC 5322/MIME parsing, reply separation, robot/bounce/thread signals and
        // composing outbound notifications. Pure (no I/O, clock and unique tokens injected),
        // Foundation only.
        .target(name: "SportelloMail"),
        // Transports: framing, stdio, Unix socket, socket activation, drain.
        .target(name: "SportelloServer", dependencies: [
            "JSONRPC", "CSystemd", "CSyscalls",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ], swiftSettings: crossModuleOptimization),
        // `sportello mcp`: the desk's methods as Model Context Protocol tools, generated from the
        // OpenRPC document and forwarded as JSON-RPC calls (in process or over the socket). Knows
        // the document's shape, not the service: only the executable and its tests link it.
        .target(name: "SportelloMCP", dependencies: [
            "JSONRPC",
            .product(name: "MCP", package: "swift-sdk"),
        ]),
        .executableTarget(name: "sportello", dependencies: [
            "SportelloServer", "SportelloService", "SportelloStore", "SportelloDomain", "JSONRPC", "SportelloMCP",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "sportello-bench", dependencies: [
            "SportelloDomain", "SportelloStore", "SportelloService", "SportelloMail", "JSONRPC", "SportelloTestSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ], path: "bench",
        // Blocking client threads sharing plain buffers: checked by hand, not by Swift 6's rules.
        swiftSettings: [.swiftLanguageMode(.v5)]),

        // Helpers shared by the test suites and the benchmarks (seeded randomness, a Unix-socket
        // client connect); plain Glibc, no test framework, so the release bench can link it too.
        .target(name: "SportelloTestSupport", path: "Tests/Support"),
        .testTarget(name: "SportelloDomainTests", dependencies: ["SportelloDomain", "SportelloTestSupport"]),
        .testTarget(name: "SportelloStoreTests", dependencies: [
            "SportelloStore", "SportelloTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC", "SportelloTestSupport"]),
        .testTarget(name: "SportelloServiceTests", dependencies: [
            "SportelloService", "SportelloStore", "JSONRPC", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SportelloMailTests", dependencies: ["SportelloMail", "SportelloTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "EndToEndTests", dependencies: [
            "SportelloTestSupport", "SportelloMail", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "MCP", package: "swift-sdk"),
        ]),
    ]
)
