import Foundation
import Testing
import SportelloMail
import SportelloTestSupport

/// Hostile and broken input: every case must return (no crash, no hang, no throw) within the
/// documented bounds (`MailLimits`: 25 MiB read, nesting 50, 2,000 parts).
@Suite struct RobustnessTests {
    /// Reading everything a caller might read, so lazy paths run too.
    func exercise(_ m: MailMessage) -> Int {
        var total = m.subject.count + m.text.count + m.attachments.count + m.from.count + m.to.count + m.cc.count
        total += m.reply.newText.count + (m.autoReplyReason == nil ? 0 : 1) + (m.isBounce ? 1 : 0)
        total += m.threadKeys.references.count + MailSignals.deliveryStatuses(m).count + m.embeddedMessages.count
        return total
    }

    @Test func seededRandomBytes() {
        var rng = SeededGenerator(seed: 0x5EED_3A11)
        for _ in 0..<300 {
            let count = Int.random(in: 0..<4_000, using: &rng)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = exercise(MailMessage(bytes: bytes))
        }
    }

    @Test func randomTruncationsAndMutationsOfTheCorpus() {
        var rng = SeededGenerator(seed: 42)
        for name in Corpus.names {
            let original = Corpus.bytes(name)
            for _ in 0..<40 {
                var bytes = Array(original[..<Int.random(in: 0...original.count, using: &rng)])
                // Flip a few bytes to structural characters.
                for _ in 0..<Int.random(in: 0..<6, using: &rng) where !bytes.isEmpty {
                    let specials: [UInt8] = Array("=?<>\";:-\r\n\t%*'&#".utf8) + [0x00, 0xFF, 0xC3]
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = specials.randomElement(using: &rng)!
                }
                _ = exercise(MailMessage(bytes: bytes))
            }
        }
    }

    @Test func tenThousandNestedMultiparts() {
        let depth = 10_000
        var head = "From: deep@x.it\r\nSubject: deep\r\n"
        var text = ""
        for level in 0..<depth {
            text += (level == 0 ? head : "") + "Content-Type: multipart/mixed; boundary=\"b\(level)\"\r\n\r\n--b\(level)\r\n"
        }
        text += "Content-Type: text/plain\r\n\r\nin fondo\r\n"
        for level in stride(from: depth - 1, through: 0, by: -1) { text += "--b\(level)--\r\n" }
        head = ""
        let start = Date()
        let m = MailMessage(bytes: text.bytes)
        _ = exercise(m)
        #expect(m.subject == "deep")
        #expect(m.defects.contains { $0.contains("nesting deeper than 50") })
        #expect(Date().timeIntervalSince(start) < 20)
    }

    @Test func nestedAttachedMessagesStopAtTheDepthLimit() {
        var text = "Subject: inner\r\n\r\ntesto"
        for level in 0..<200 { text = "Subject: level \(level)\r\nContent-Type: message/rfc822\r\n\r\n" + text }
        let m = MailMessage(bytes: text.bytes)
        #expect(m.subject == "level 199")
        #expect(m.defects.contains { $0.contains("nesting deeper") })
        _ = exercise(m)
    }

    @Test func manyPartsAreCapped() {
        let text = "Content-Type: multipart/mixed; boundary=x\r\n\r\n" + String(repeating: "--x\r\n\r\na\r\n", count: 50_000) + "--x--\r\n"
        let m = MailMessage(bytes: text.bytes)
        #expect(m.root.children.count <= MailLimits.standard.maxParts)
        #expect(m.defects.contains { $0.contains("parts") })
    }

    @Test func sizeBoundIsApplied() {
        let limits = MailLimits(maxBytes: 1_000)
        let text = "Subject: big\r\n\r\n" + String(repeating: "a", count: 5_000)
        let m = MailMessage(bytes: text.bytes, limits: limits)
        #expect(m.subject == "big")
        #expect(m.text.count == 1_000 - 16)
        #expect(m.defects.contains { $0.contains("longer than 1000 bytes") })
    }

    @Test func largeAttachmentIsDecodedWhole() {
        let payload = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let encoded = Data(payload).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let text = "Subject: log\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n\r\nvedi allegato\r\n--z\r\n"
            + "Content-Type: application/gzip\r\nContent-Disposition: attachment; filename=big.gz\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + encoded + "\r\n--z--\r\n"
        let start = Date()
        let m = MailMessage(bytes: text.bytes)
        #expect(m.text == "vedi allegato")
        #expect(m.attachments.first?.filename == "big.gz")
        #expect(m.attachments.first?.bytes == payload)
        #expect(Date().timeIntervalSince(start) < 30)
    }

    @Test func pathologicalHeadersAndHTML() {
        let words = String(repeating: "=?utf-8?Q?", count: 20_000)
        let m = MailMessage(bytes: ("Subject: " + words + "\r\nFrom: " + String(repeating: "(", count: 50_000) + "\r\n\r\nx").bytes)
        #expect(m.subject.hasPrefix("=?utf-8?Q?"))
        _ = exercise(m)
        let html = String(repeating: "<div><blockquote><a href='", count: 5_000) + String(repeating: "&#xFFFFFFFF;&#0;<", count: 1000)
        _ = HTMLText.toText(html)
    }

    // Inputs that were quadratic (each found while writing the fuzz target, each also in
    // fuzz/corpus at a size libFuzzer runs): with the old code every one of them took minutes at
    // these sizes; the bound is generous for a debug build on a loaded machine.

    /// A subject of brackets: each `[` looked for its `]` from scratch.
    @Test func subjectOfManyBracketsIsLinear() {
        let start = Date()
        let m = MailMessage(bytes: ("Subject: " + String(repeating: "[", count: 1_000_000) + "[Sportello #7] x\r\n\r\nbody").bytes)
        #expect(m.threadKeys.ticketNumber == 7)
        let normalized = m.threadKeys.normalizedSubject
        #expect(normalized.utf8.count == 1_000_000 + 2 && normalized.hasSuffix("[[[ x"), "no value printed: it is a megabyte")
        #expect(Date().timeIntervalSince(start) < 30)
    }

    /// `Re:` a third of a million times: the subject was copied once per prefix removed.
    @Test func subjectOfManyReplyPrefixesIsLinear() {
        let start = Date()
        let m = MailMessage(bytes: ("Subject: " + String(repeating: "Re: ", count: 300_000) + "[Sportello #8] Stampa\r\n\r\nbody").bytes)
        #expect(m.threadKeys.ticketNumber == 8)
        #expect(m.threadKeys.normalizedSubject == "Stampa")
        #expect(m.autoReplyReason == nil)
        #expect(Date().timeIntervalSince(start) < 30)
    }

    /// A header value of two million blanks: they were removed one by one from the front.
    @Test func headerValueOfManyBlanksIsLinear() {
        let start = Date()
        let m = MailMessage(bytes: ("Subject:" + String(repeating: " ", count: 2_000_000) + "Ciao  \r\n\r\nbody").bytes)
        #expect(m.subject == "Ciao")
        #expect(Date().timeIntervalSince(start) < 30)
    }

    /// An address list of colons after an `@`: each `:` searched the whole phrase for the `@`.
    @Test func addressOfManyColonsIsLinear() {
        let start = Date()
        let m = MailMessage(bytes: ("From: a@" + String(repeating: ":", count: 1_000_000) + "\r\nTo: Vendite: v@example.it;\r\n\r\nx").bytes)
        #expect(m.from.count == 1)
        #expect(m.to == [MailAddress(address: "v@example.it", group: "Vendite")])
        #expect(Date().timeIntervalSince(start) < 30)
    }

    /// A format=flowed paragraph of half a million lines: the paragraph was copied per line.
    @Test func longFlowedParagraphIsLinear() {
        let start = Date()
        let body = String(repeating: "ab \r\n", count: 500_000) + "fine\r\n"
        let m = MailMessage(bytes: ("Subject: x\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n" + body).bytes)
        let text = m.text
        #expect(text.utf8.count == 500_000 * 3 + 5 && text.hasSuffix("ab ab fine\n"), "no value printed: it is 1.5 MB")
        #expect(Date().timeIntervalSince(start) < 30)
    }

    /// Three thousand nested `<blockquote>`s over three thousand lines: every line carried every
    /// mark, each appended by copying the text so far (a thousand of each took six minutes).
    @Test func deeplyNestedHTMLQuotesStayProportional() {
        let start = Date()
        let html = String(repeating: "<blockquote>", count: 3_000) + String(repeating: "riga<br>", count: 3_000)
        let m = MailMessage(bytes: ("Content-Type: text/html; charset=utf-8\r\n\r\n" + html).bytes)
        let text = m.text
        let marks = String(repeating: "> ", count: 10)
        #expect(text.hasPrefix(marks + "riga\n" + marks + "riga\n"))
        #expect(text.utf8.count == 3_000 * (20 + 5) - 1, "at most ten marks a line")
        #expect(m.reply.newText.isEmpty)
        #expect(Date().timeIntervalSince(start) < 30)
    }

    /// Thousands of encoded words: each decoded word was appended by copying the subject so far.
    @Test func manyEncodedWordsAreLinear() {
        let start = Date()
        let words = Array(repeating: "=?iso-8859-1?Q?=E8?= =?utf-8?B?w6A=?=", count: 50_000).joined(separator: " ")
        let m = MailMessage(bytes: ("Subject: " + words + "\r\n\r\nx").bytes)
        let subject = m.subject
        #expect(subject.count == 100_000 && subject.hasPrefix("èàèà"), "no value printed: it is 100,000 characters")
        #expect(Date().timeIntervalSince(start) < 30)
    }
}
