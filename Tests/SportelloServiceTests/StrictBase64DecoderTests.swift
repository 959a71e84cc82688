import Foundation
@testable import SportelloService
import Testing

/// The decoder behind mail.ingest's `raw` and mail.upload's pieces: the same bytes whatever
/// the cuts, and a refused piece leaves no trace.
@Suite struct StrictBase64DecoderTests {
    /// 1,000 bytes of every value, wrapped as `base64` wraps (76 columns, CRLF).
    static let bytes: [UInt8] = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 256) }
    static let text = Array(Data(bytes).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed]).utf8)

    @Test("cut in two at every position of the text, the pieces decode to the bytes")
    func everyCut() throws {
        for cut in 0...Self.text.count {
            var decoder = StrictBase64Decoder()
            try decoder.append(Self.text[..<cut], limit: 1 << 20)
            try decoder.append(Self.text[cut...], limit: 1 << 20)
            #expect(decoder.isComplete, "cut at \(cut)")
            #expect(decoder.take() == Self.bytes, "cut at \(cut)")
        }
    }

    @Test("a group split between pieces counts once whole: 'QUJ' then 'D' is ABC")
    func splitGroup() throws {
        var decoder = StrictBase64Decoder()
        try decoder.append(Array("QUJ".utf8), limit: 10)
        #expect(decoder.bytes.isEmpty)
        #expect(!decoder.isComplete)
        try decoder.append(Array("D".utf8), limit: 10)
        #expect(decoder.bytes == Array("ABC".utf8))
        #expect(decoder.isComplete)
    }

    @Test("a refused piece leaves the decoder as it was, whatever it decoded before the bad character")
    func refusedPieceLeavesNoTrace() throws {
        var decoder = StrictBase64Decoder()
        try decoder.append(Array("QUJDRE".utf8), limit: 100)  // ABC, then "RE" waiting
        #expect(throws: StrictBase64Decoder.Failure.invalid) {
            try decoder.append(Array("VGRUhJ!".utf8), limit: 100)  // would complete "REVG" and "RUhJ" first
        }
        #expect(decoder.bytes == Array("ABC".utf8))
        try decoder.append(Array("VG".utf8), limit: 100)  // "REVG" = "DEF"
        #expect(decoder.take() == Array("ABCDEF".utf8))
    }

    @Test("data after the padding, too much padding, and the limit")
    func refusals() throws {
        var padded = StrictBase64Decoder()
        try padded.append(Array("QQ==".utf8), limit: 10)
        #expect(throws: StrictBase64Decoder.Failure.invalid) { try padded.append(Array("QUJD".utf8), limit: 10) }
        #expect(padded.bytes == [0x41], "QQ== is A, kept")
        var tooMuch = StrictBase64Decoder()
        #expect(throws: StrictBase64Decoder.Failure.invalid) { try tooMuch.append(Array("Q===".utf8), limit: 10) }
        // 8 characters are 6 bytes: over a limit of 5 on the second group.
        var limited = StrictBase64Decoder()
        #expect(throws: StrictBase64Decoder.Failure.tooLarge) { try limited.append(Array("QUJDREVG".utf8), limit: 5) }
        #expect(limited.bytes.isEmpty, "nothing kept of the piece that passed the limit")
    }
}
