import Foundation
import Testing

/// A client that pipelines requests and never reads its replies must not make the server buffer
/// without limit, nor slow down anyone else.
@Suite("Reply backpressure")
struct BackpressureTests {
    static let pings = 200_000
    static let discovers = 2_000

    /// 200,000 pings, then 2,000 `rpc.discover` (each reply is the whole OpenRPC document,
    /// about 200 KB: 400 MB of replies if the server rendered them all), ids in order.
    static func payload() -> [UInt8] {
        var text = ""
        text.reserveCapacity(60 * (pings + discovers))
        for id in 0..<pings { text += #"{"jsonrpc":"2.0","id":\#(id),"method":"server.ping"}"# + "\n" }
        for id in pings..<(pings + discovers) { text += #"{"jsonrpc":"2.0","id":\#(id),"method":"rpc.discover"}"# + "\n" }
        return Array(text.utf8)
    }

    /// Writes as much of `bytes` from `offset` as the socket takes now; the new offset.
    static func writeSome(_ fd: Int32, _ bytes: [UInt8], from offset: Int) throws -> Int {
        var offset = offset
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, min(65536, $0.count - offset), Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                offset += written
            } else if written < 0, errno == EINTR {
                continue
            } else if written < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                break
            } else {
                throw HarnessError("send: \(errnoText())")
            }
        }
        return offset
    }

    /// The `id` of a reply line that starts `{"jsonrpc":"2.0","id":N` (the server's own order),
    /// and the index just after it.
    static func replyID(_ line: UnsafeBufferPointer<UInt8>) -> (id: Int, end: Int)? {
        let prefix = Array(#"{"jsonrpc":"2.0","id":"#.utf8)
        guard line.count > prefix.count, Array(line[0..<prefix.count]) == prefix else { return nil }
        var value = 0
        var index = prefix.count
        while index < line.count, line[index] >= 0x30, line[index] <= 0x39 {
            value = value * 10 + Int(line[index] - 0x30)
            index += 1
        }
        return index > prefix.count ? (value, index) : nil
    }

    @Test("pipelining 200,000 pings and 2,000 discovers without reading: server memory stays within 64 MiB, another connection's ping p99 under 50 ms, then every reply arrives in order")
    func unreadReplies() async throws {
        let server = try await SocketServer()
        defer { server.stop() }
        let other = try server.connect()
        #expect(try await other.ping())
        let hog = try server.connect()
        let startRSS = try server.child.residentBytes()
        let bytes = Self.payload()

        // Phase 1: write without reading, until the server stops taking requests (no progress for
        // 2 s) or everything is written; meanwhile ping on the other connection and watch memory.
        let phase1 = try await offload { () -> (sent: Int, peakRSS: Int, latencies: [Double]) in
            var sent = 0
            var peak = startRSS
            var latencies: [Double] = []
            var lastProgress = monotonicNow()
            var id = 0
            while monotonicNow() - lastProgress < 2 {
                let now = try Self.writeSome(hog.writeFD, bytes, from: sent)
                if now > sent { lastProgress = monotonicNow() }
                sent = now
                id += 1
                let start = monotonicNow()
                try other.sendSync(Array((pingRequest(id: id) + "\n").utf8))
                _ = try other.readLineSync(timeout: 10)
                latencies.append(monotonicNow() - start)
                peak = max(peak, try server.child.residentBytes())
                if sent == bytes.count, monotonicNow() - lastProgress > 1 { break }
            }
            return (sent, peak, latencies)
        }
        let latencies = phase1.latencies.sorted()
        let p99 = latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
        let growth = phase1.peakRSS - startRSS
        #expect(phase1.sent < bytes.count, "the server kept reading a client that never reads (\(phase1.sent) bytes taken)")
        #expect(growth < 64 << 20, "server RSS grew by \(growth >> 20) MiB while replies went unread")
        #expect(p99 < 0.050, "another connection's ping p99 was \(Int(p99 * 1000)) ms over \(latencies.count) pings")

        // Phase 2: the client reads; every reply arrives, in request order, and the rest of the
        // requests are taken as the replies drain.
        let received = try await offload { () -> (count: Int, peakRSS: Int, failure: String?) in
            var sent = phase1.sent
            var expected = 0
            var peak = startRSS
            var pending: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            let total = Self.pings + Self.discovers
            let deadline = monotonicNow() + 240
            while expected < total {
                guard monotonicNow() < deadline else { return (expected, peak, "timed out") }
                sent = try Self.writeSome(hog.writeFD, bytes, from: sent)
                var entries = [pollfd(fd: hog.readFD, events: Int16(POLLIN), revents: 0)]
                guard poll(&entries, 1, 1000) > 0 else { continue }
                let count = chunk.withUnsafeMutableBytes { read(hog.readFD, $0.baseAddress, $0.count) }
                if count < 0, errno == EAGAIN || errno == EINTR { continue }
                guard count > 0 else { return (expected, peak, "the server closed the connection") }
                pending.append(contentsOf: chunk[0..<count])
                let failure: String? = pending.withUnsafeBufferPointer { buffer in
                    var start = 0
                    while let newline = memchr(buffer.baseAddress! + start, 0x0A, buffer.count - start) {
                        let end = buffer.baseAddress!.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                        let line = UnsafeBufferPointer(rebasing: buffer[start..<end])
                        guard let (id, idEnd) = Self.replyID(line), id == expected else {
                            return "reply \(expected) expected, got \(String(decoding: line.prefix(80), as: UTF8.self))"
                        }
                        let isDiscover = expected >= Self.pings
                        let marker = Array((isDiscover ? #","result":{"openrpc":"# : #","result":{"pong":true"#).utf8)
                        guard line.count >= idEnd + marker.count, Array(line[idEnd..<(idEnd + marker.count)]) == marker else {
                            return "reply \(expected) is not a \(isDiscover ? "discover" : "ping") result"
                        }
                        expected += 1
                        start = end + 1
                    }
                    pending.removeSubrange(0..<start)
                    return nil
                }
                if let failure { return (expected, peak, failure) }
                if expected % 1000 == 0 { peak = max(peak, try server.child.residentBytes()) }
            }
            return (expected, peak, nil)
        }
        #expect(received.failure == nil, "\(received.failure ?? "")")
        #expect(received.count == Self.pings + Self.discovers)
        #expect(received.peakRSS - startRSS < 64 << 20, "server RSS grew by \((received.peakRSS - startRSS) >> 20) MiB while the replies were read")

        // The client goes: the server still answers, and its memory is back within the bound.
        hog.close()
        #expect(try await other.ping())
        #expect(try server.child.residentBytes() - startRSS < 64 << 20)
    }
}
