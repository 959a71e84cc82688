import Foundation
import Testing
import SportelloMail

@Suite struct ReplySeparationTests {
    @Test func outlookEnglishOriginalMessageSeparator() {
        let parts = ReplySeparator.split("Please see below.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nOld text")
        #expect(parts.newText == "Please see below.")
        #expect(parts.quoted == "-----Original Message-----\nFrom: Support\nSent: Monday\n\nOld text")
    }

    @Test func outlookItalianSeparatorAndEnglishHeaderBlock() {
        #expect(ReplySeparator.split("Ok grazie\n-----Messaggio originale-----\nDa: x\nold").newText == "Ok grazie")
        let parts = ReplySeparator.split("Done.\n________________________________\nFrom: Support <s@x.it>\nSent: Monday, 30 November 2026 17:02\nTo: me\nSubject: hi\n\nold")
        #expect(parts.newText == "Done.")
        #expect(parts.quoted.hasPrefix("________________________________\nFrom: Support"))
    }

    @Test func bottomPostingKeepsTheAnswerBelowTheQuote() {
        let parts = ReplySeparator.split("On Mon, Nov 30, 2026, Support wrote:\n> Which version?\n> Thanks\n\nVersion 4.2, on Windows.")
        #expect(parts.newText == "Version 4.2, on Windows.")
        #expect(parts.quoted == "On Mon, Nov 30, 2026, Support wrote:\n> Which version?\n> Thanks")
    }

    @Test func italianAttributionWrappedOverTwoLines() {
        let parts = ReplySeparator.split("Fatto, grazie.\n\nIl giorno lun 30 nov 2026 alle ore 17:02 Supporto Sportello <\nsupport@example.it> ha scritto:\n\n> Provi ora.")
        #expect(parts.newText == "Fatto, grazie.")
        #expect(parts.quoted.hasSuffix("support@example.it> ha scritto:\n\n> Provi ora."))
    }

    @Test func outlookQuoteAfterSignature() {
        let parts = ReplySeparator.split("Va bene.\n-- \nLuca Ferri\nStudio Ferri\n\nDa: Supporto <s@x.it>\nInviato: lunedì 30 novembre 2026 17:02\nA: Luca\nOggetto: x\n\nTesto vecchio")
        #expect(parts.newText == "Va bene.")
        #expect(parts.signature == "Luca Ferri\nStudio Ferri")
        #expect(parts.quoted.hasSuffix("Testo vecchio"))
    }

    @Test func blankLinesAroundARemovedInterleavedQuoteBecomeOne() {
        let parts = ReplySeparator.split("> Which format?\n\nCSV.\n\n> How many rows?\n\nAbout 48,000.\n\n\nTom")
        #expect(parts.newText == "CSV.\n\nAbout 48,000.\n\n\nTom")
        #expect(parts.quoted == "> Which format?\n> How many rows?")
    }

    @Test func interleavedAnswersAreNewText() {
        let parts = ReplySeparator.split("> Which version?\n4.2\n> Which OS?\nWindows 11")
        #expect(parts.newText == "4.2\nWindows 11")
        #expect(parts.quoted == "> Which version?\n> Which OS?")
    }

    @Test func signatureNeedsTheExactDelimiter() {
        let parts = ReplySeparator.split("Testo\n-- \nMario\nTel. 333")
        #expect(parts.newText == "Testo")
        #expect(parts.signature == "Mario\nTel. 333")
        // "--" without the blank is text, as is an "On … wrote:" sentence without the colon.
        let plain = ReplySeparator.split("a\n--\nb\nOn Monday I wrote to you")
        #expect(plain.newText == "a\n--\nb\nOn Monday I wrote to you")
        #expect(plain.signature == nil && plain.quoted.isEmpty)
    }

    @Test func forwardedHeaderBlockStaysInTheNewText() {
        let text = "Guardate qui.\n\n---------- Forwarded message ---------\nFrom: Fornitore <f@x.it>\nDate: Mon, 30 Nov 2026\nSubject: Errore\n\nIl server non risponde."
        #expect(ReplySeparator.split(text).newText == text)
    }
}

@Suite struct SignalTests {
    func headers(_ raw: String) -> MailHeaders { MailHeaders.parse(Array((raw + "\r\n\r\n").utf8)) }

    @Test func autoReplyHeaders() {
        #expect(MailSignals.autoReplyReason(headers: headers("Auto-Submitted: auto-replied"), subject: "x") == .autoSubmitted)
        #expect(MailSignals.autoReplyReason(headers: headers("Auto-Submitted: No"), subject: "x") == nil)
        #expect(MailSignals.autoReplyReason(headers: headers("X-Autoreply: yes"), subject: "x") == .autoreplyHeader)
        #expect(MailSignals.autoReplyReason(headers: headers("X-Autorespond: 1"), subject: "x") == .autoreplyHeader)
        #expect(MailSignals.autoReplyReason(headers: headers("Precedence: Bulk"), subject: "x") == .precedence)
        #expect(MailSignals.autoReplyReason(headers: headers("Precedence: auto_reply"), subject: "x") == .precedence)
        #expect(MailSignals.autoReplyReason(headers: headers("Precedence: first-class"), subject: "x") == nil)
        #expect(MailSignals.autoReplyReason(headers: headers("X-Auto-Response-Suppress: OOF"), subject: "x") == .autoResponseSuppress)
    }

    @Test func outOfOfficeSubjects() {
        for subject in ["Risposta automatica: Re: [Sportello #1] x", "Fuori sede", "Out of Office: hello",
                        "Automatic reply: [Sportello #9] Licence", "R: Fuori sede fino al 7"] {
            #expect(MailSignals.autoReplyReason(headers: MailHeaders(), subject: subject) == .outOfOfficeSubject, "\(subject)")
        }
        #expect(MailSignals.autoReplyReason(headers: MailHeaders(), subject: "Problema fuori sede: la VPN non va") == nil)
    }

    @Test func bounceBySenderOrReturnPath() {
        #expect(MailMessage(bytes: "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\nSubject: Delivery Status Notification (Failure)\r\n\r\nx".bytes).isBounce)
        #expect(MailMessage(bytes: "Return-Path: <>\r\nFrom: a@b.it\r\n\r\nx".bytes).isBounce)
        #expect(!MailMessage(bytes: "Return-Path: <a@b.it>\r\nFrom: a@b.it\r\n\r\nx".bytes).isBounce)
        // A vacation notice sent with the null path (RFC 3834 §3.3) is an auto-reply, not a bounce.
        let vacation = MailMessage(bytes: "Return-Path: <>\r\nFrom: a@b.it\r\nAuto-Submitted: auto-replied\r\nSubject: Fuori sede\r\n\r\nx".bytes)
        #expect(!vacation.isBounce)
        #expect(vacation.autoReplyReason == .autoSubmitted)
    }

    @Test func messageIDLists() {
        #expect(MailSignals.messageIDs("<a@x> (comment) <b@y>\r\n <c@z>") == ["a@x", "b@y", "c@z"])
        #expect(MailSignals.messageIDs("a@x b@y") == ["a@x", "b@y"])
        #expect(MailSignals.messageIDs("") == [])
    }

    @Test func subjectTagAndNormalization() {
        #expect(SubjectTag.ticketNumber(in: "Re: [Sportello #123] Errore") == 123)
        #expect(SubjectTag.ticketNumber(in: "R: I: [sportello  # 45 ] x") == 45)
        #expect(SubjectTag.ticketNumber(in: "RE: [#7] x") == 7)
        #expect(SubjectTag.ticketNumber(in: "[Sportello #] x [Altro #3] [#12a]") == nil)
        #expect(SubjectTag.ticketNumber(in: "Fattura [2026] [Sportello #9]") == 9)
        #expect(SubjectTag.normalize("Re: R: Fwd: I: Inoltro: AW: RE[2]: [Sportello #123]  Errore  nella fattura") == "Errore nella fattura")
        #expect(SubjectTag.normalize("Ricevuta: pagamento") == "Ricevuta: pagamento")
        #expect(SubjectTag.normalize("Ideas: none") == "Ideas: none")
        #expect(SubjectTag.tag(for: 42) == "[Sportello #42]")
    }
}
