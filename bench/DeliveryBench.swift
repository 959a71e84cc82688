import Foundation

/// Mail delivery: `sportello deliver` sending 10,000 queued notifications into a Maildir, beside
/// the same number of messages of the same size written into a Maildir by this process (the
/// same steps — a file in tmp/, fsync, rename into new/ — with nothing else: the floor the
/// disk sets).
struct DeliveryBenchmarks {
    let serverBinary: String
    var notifications = 10_000

    func run() throws -> [BenchResult] {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = directory + "/delivery.db"
        // seed-demo queues one receipt per ticket, as ticket.open does.
        try runToCompletion(serverBinary, ["seed-demo", "--database", database, "--tickets", String(notifications)])
        let started = monotonicNow()
        try runToCompletion(serverBinary, ["deliver", "--database", database, "--maildir", directory + "/delivered"])
        let deliverRate = Double(notifications) / (monotonicNow() - started)
        let delivered = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/delivered/new").count) ?? 0
        guard delivered == notifications else { throw BenchError.timeout("\(notifications) messages delivered, found \(delivered)") }

        // The floor: bare Maildir writes of messages of the same size.
        let sample = try FileManager.default.contentsOfDirectory(atPath: directory + "/delivered/new").first.map {
            try Data(contentsOf: URL(fileURLWithPath: directory + "/delivered/new/" + $0))
        } ?? Data(count: 2_000)
        let bare = directory + "/bare"
        for folder in ["", "/tmp", "/new", "/cur"] { mkdir(bare + folder, 0o700) }
        let bareStarted = monotonicNow()
        for index in 0..<notifications {
            let name = "\(index).bench"
            let descriptor = open(bare + "/tmp/" + name, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            sample.withUnsafeBytes { _ = write(descriptor, $0.baseAddress, $0.count) }
            fsync(descriptor)
            close(descriptor)
            rename(bare + "/tmp/" + name, bare + "/new/" + name)
        }
        let bareRate = Double(notifications) / (monotonicNow() - bareStarted)
        return [
            BenchResult(name: "sportello deliver, \(notifications) notifications to a Maildir", value: deliverRate, unit: "msg/s",
                        note: "target >= 2000/s"),
            BenchResult(name: "bare Maildir writes, same sizes (baseline)", value: bareRate, unit: "msg/s",
                        note: String(format: "deliver / bare = %.2f", deliverRate / bareRate)),
        ]
    }
}
