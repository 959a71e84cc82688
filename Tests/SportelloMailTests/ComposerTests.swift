import Foundation
import Testing
import SportelloMail
import SportelloTestSupport

@Suite struct ComposerTests {
    let date = Date(timeIntervalSince1970: 1_796_548_693) // 2026-12-06 09:18:13 UTC

    func mail(subject: String, body: String) -> OutgoingMail {
        OutgoingMail(from: MailAddress(name: "Supporto Sportello", address: "support@example.it"),
                     to: [MailAddress(name: "Nicolò Fabbri", address: "nicolo@cliente.example")],
                     subject: subject, body: body, ticket: 123,
                     inReplyTo: "abc@cliente.example", references: ["first@sportello.example.it"],
                     uniqueToken: "notif-77 retry", messageIDDomain: "sportello.example.it", date: date,
                     utcOffsetSeconds: 3600, extraHeaders: [HeaderField(name: "X-Loop", value: "support@example.it")])
    }

    @Test func roundTripItalianWithEuroAndEmoji() {
        let subject = "Abbiamo ricevuto la sua richiesta: perché la fattura da 1.250 € non è più visibile? 😀 — grazie per la pazienza"
        let body = "Gentile cliente,\nla richiesta è stata presa in carico: costo 0 €, tempo previsto già comunicato 🙂.\n\nFrom the team\nRiga con spazio finale \n.\n"
        let bytes = MailComposer.compose(mail(subject: subject, body: body))
        let parsed = MailMessage(bytes: bytes)
        #expect(parsed.subject == "[Sportello #123] " + subject)
        #expect(parsed.text == body)
        #expect(parsed.from == [MailAddress(name: "Supporto Sportello", address: "support@example.it")])
        #expect(parsed.to == [MailAddress(name: "Nicolò Fabbri", address: "nicolo@cliente.example")])
        #expect(parsed.threadKeys.ticketNumber == 123)
        #expect(parsed.threadKeys.messageID == "notif-77-retry@sportello.example.it")
        #expect(parsed.threadKeys.inReplyTo == ["abc@cliente.example"])
        #expect(parsed.threadKeys.references == ["first@sportello.example.it", "abc@cliente.example"])
        // Our own notifications read as robots, so they never open tickets.
        #expect(parsed.autoReplyReason == .autoSubmitted)
        #expect(MailSignals.hasLoopMarker(parsed.headers, marker: "Support@Example.it"))
        #expect(!MailSignals.hasLoopMarker(parsed.headers, marker: "other@example.it"))
    }

    @Test func wireFormat() {
        let bytes = MailComposer.compose(mail(subject: "Perché è così? " + String(repeating: "àèìòù ", count: 20), body: "x"))
        let text = String(decoding: bytes, as: UTF8.self)
        // CRLF only, no bare LF or CR.
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
        #expect(bytes.allSatisfy { $0 < 128 })
        let headerLines = text.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
        #expect(headerLines.allSatisfy { $0.count <= 78 }, "\(headerLines.filter { $0.count > 78 })")
        #expect(headerLines.contains("Date: Sun, 06 Dec 2026 10:18:13 +0100"))
        #expect(headerLines.contains("Message-ID: <notif-77-retry@sportello.example.it>"))
        #expect(headerLines.contains("MIME-Version: 1.0"))
        #expect(headerLines.contains("Content-Type: text/plain; charset=utf-8"))
        #expect(headerLines.contains("Content-Transfer-Encoding: quoted-printable"))
        #expect(headerLines.contains("Auto-Submitted: auto-generated"))
        #expect(headerLines.contains { $0.hasPrefix("Subject: [Sportello #123] =?utf-8?B?") })
        #expect(headerLines.contains("To: =?utf-8?B?Tmljb2zDsiBGYWJicmk=?= <nicolo@cliente.example>"))
    }

    @Test func asciiSubjectStaysReadableAndTagIsNotDoubled() {
        let bytes = MailComposer.compose(mail(subject: "Re: [Sportello #123] Login problem", body: "ok"))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\r\nSubject: Re: [Sportello #123] Login problem\r\n"))
    }

    @Test func namesWithSpecialsAndManyRecipientsRoundTrip() {
        let recipients = (1...8).map { MailAddress(name: "Rossi, Mario \"\($0)\"", address: "mario\($0)@cliente.example") }
        var outgoing = mail(subject: "Prova", body: "x")
        outgoing.to = recipients
        outgoing.cc = [MailAddress(address: "care@example.it")]
        let bytes = MailComposer.compose(outgoing)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.count <= 78 })
        let parsed = MailMessage(bytes: bytes)
        #expect(parsed.to == recipients)
        #expect(parsed.cc == [MailAddress(address: "care@example.it")])
        #expect(parsed.subject == "[Sportello #123] Prova")
    }

    @Test func datesAcrossYearsAndOffsets() {
        #expect(MailComposer.rfc5322Date(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 +0000")
        #expect(MailComposer.rfc5322Date(Date(timeIntervalSince1970: 951_782_400)) == "Tue, 29 Feb 2000 00:00:00 +0000")
        #expect(MailComposer.rfc5322Date(Date(timeIntervalSince1970: 1_798_761_599), utcOffsetSeconds: -18_000) == "Thu, 31 Dec 2026 18:59:59 -0500")
    }
    /// Seeded random subjects, names and bodies (accents, €, emoji, `=?`, quotes, long words,
    /// trailing blanks, `From ` and `.` lines): what goes out comes back.
    @Test func randomRoundTrips() {
        var rng = SeededGenerator(seed: 2026)
        let pieces = ["a", "perché", "€", "😀", "=?", "?=", "[", "]", "\"", "\\", ",", "<", ">", "(", ")", ";", ":",
                      "Z", "1", "àèìòù", "ß", "日本", "👨‍👩‍👧", "_", "=", "  ", " ", "\t",
                      String(repeating: "x", count: 90), String(repeating: "é", count: 50)]
        func random(_ count: Int) -> String {
            (0..<count).map { _ in pieces.randomElement(using: &rng)! }.joined()
        }
        for _ in 0..<300 {
            let subject = random(Int.random(in: 0..<25, using: &rng)).trimmingCharacters(in: .whitespaces)
            let name = random(Int.random(in: 1..<8, using: &rng))
                .split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            var body = ""
            for _ in 0..<Int.random(in: 0..<6, using: &rng) {
                let lead = ["", "From ", ".", "> ", " "].randomElement(using: &rng)!
                body += lead + random(Int.random(in: 0..<20, using: &rng)) + ["\n", "\r\n", " \n", "\t\n"].randomElement(using: &rng)!
            }
            var outgoing = mail(subject: subject, body: body)
            outgoing.to = [MailAddress(name: name.isEmpty ? nil : name, address: "x@cliente.example")]
            let bytes = MailComposer.compose(outgoing)
            let lines = String(decoding: bytes, as: UTF8.self).components(separatedBy: "\r\n")
            #expect(lines.allSatisfy { $0.count <= 78 }, "\(lines.filter { $0.count > 78 })")
            #expect(bytes.allSatisfy { $0 < 128 })
            let parsed = MailMessage(bytes: bytes)
            #expect(parsed.subject == outgoing.taggedSubject.trimmingCharacters(in: .whitespaces), "\(subject)")
            #expect(parsed.to.first?.name == (name.isEmpty ? nil : name), "\(name)")
            let expectedBody = body.replacingOccurrences(of: "\r\n", with: "\n")
            #expect(parsed.text == expectedBody, "\(body.debugDescription)")
        }
    }
}

@Suite struct MailDateTests {
    @Test func modernAndObsoleteForms() {
        let expected = Date(timeIntervalSince1970: 1_764_579_605) // 2025-12-01 09:00:05 UTC
        #expect(MailDate.parse("Mon, 1 Dec 2025 10:00:05 +0100") == expected)
        #expect(MailDate.parse("Mon,  1 Dec 2025 10:00:05 +0100 (CET)") == expected)
        #expect(MailDate.parse("1 Dec 25 04:00:05 EST") == expected)
        #expect(MailDate.parse("Mon, 01 DEC 2025 09:00:05 GMT") == expected)
        #expect(MailDate.parse("Mon, 1 Dec 2025 09:00 +0000") == Date(timeIntervalSince1970: 1_764_579_600))
        #expect(MailDate.parse("1 Dec 125 09:00:05 Z") == expected)
        #expect(MailDate.parse("ieri pomeriggio") == nil)
        #expect(MailDate.parse("Mon, 32 Dec 2025 10:00:05 +0100") == nil)
    }

    @Test func composedDatesReadBack() {
        for seconds in stride(from: 0, to: 4_102_444_800, by: 86_399 * 37) {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            for offset in [-18_000, 0, 3_600, 19_800] {
                #expect(MailDate.parse(MailComposer.rfc5322Date(date, utcOffsetSeconds: offset)) == date)
            }
        }
    }
}
