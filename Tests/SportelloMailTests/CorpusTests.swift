import Foundation
import Testing
import SportelloMail

/// One test per mail in Fixtures/: what a support agent would see of it.
@Suite struct CorpusTests {
    @Test func corpusIsComplete() {
        #expect(Corpus.names.count == 46)
        // CRLF fixtures keep their CRLF (the .gitattributes `-text` rule).
        #expect(Corpus.bytes("outlook_it_reply.eml").starts(with: Array("Received: from mail.cliente.example (mail.cliente.example [192.0.2.10])\r\n".utf8)))
    }

    @Test func outlookItalianReplyInWindows1252() {
        let m = Corpus.message("outlook_it_reply.eml")
        #expect(m.subject == "R: [Sportello #123] Errore nella fattura elettronica")
        #expect(m.from == [MailAddress(name: "Giulia Bianchi", address: "g.bianchi@cliente.example")])
        #expect(m.to.first?.name == "Supporto Sportello")
        #expect(!m.textIsFromHTML)
        let reply = m.reply
        #expect(reply.newText.hasPrefix("Buongiorno,\n\nla fattura n. 2026/118 risulta ancora “in elaborazione” da tre giorni; l’importo è di 1.250,00 €."))
        #expect(reply.newText.hasSuffix("Ufficio amministrazione"))
        #expect(reply.quoted.hasPrefix("Da: Supporto Sportello <support@example.it>\nInviato: lunedì 30 novembre 2026 17:02"))
        #expect(reply.quoted.contains("abbiamo ricevuto la sua richiesta"))
        #expect(m.attachments.isEmpty)
        #expect(m.autoReplyReason == nil)
        #expect(!m.isBounce)
        let keys = m.threadKeys
        #expect(keys.ticketNumber == 123)
        #expect(keys.inReplyTo == ["notif-1@sportello.example.it"])
        #expect(keys.normalizedSubject == "Errore nella fattura elettronica")
        #expect(m.html?.contains("in elaborazione") == true)
        #expect(m.sentAt == Date(timeIntervalSince1970: 1_796_112_842)) // Tue, 1 Dec 2026 08:14:02 +0000
    }

    @Test func thunderbirdLatin9WithQuoteAndSignature() {
        let m = Corpus.message("thunderbird_it_latin9.eml")
        #expect(m.subject == "Re: [Sportello #77] Doppio addebito del canone")
        let reply = m.reply
        #expect(reply.newText == """
            Buongiorno,

            confermo che dopo l'aggiornamento il canone di 99 € non viene più addebitato due volte.
            Potete chiudere la richiesta.
            """)
        #expect(reply.quoted.hasPrefix("Il 30/11/2026 16:45, Supporto Sportello ha scritto:\n> Gentile cliente,"))
        #expect(reply.quoted.contains("il problema è risolto?"))
        #expect(reply.signature == "Marco Verdi\nVerdi & Figli S.r.l.")
        #expect(m.threadKeys.references == ["notif-77-1@sportello.example.it", "notif-77-2@sportello.example.it"])
        #expect(m.threadKeys.ancestors.first == "notif-77-2@sportello.example.it")
    }

    @Test func gmailReplyWithAttributionWrappedOverTwoLines() {
        let m = Corpus.message("gmail_en_reply.eml")
        #expect(m.from.first?.address == "john.smith@gmail.example")
        #expect(m.threadKeys.messageID == "CAF=abc123XYZ+def456@mail.gmail.com")
        let reply = m.reply
        #expect(reply.newText == """
            Hi,

            I still cannot log in: the page says "session expired" right after the password.
            Tried Chrome and Firefox.

            Thanks,
            John
            """)
        #expect(reply.quoted.hasPrefix("On Mon, Nov 30, 2026 at 5:02 PM Sportello Support <\nsupport@example.it> wrote:"))
        #expect(reply.quoted.contains("> we have received your request"))
    }

    @Test func appleMailAttachmentsWithRFC2231Filenames() {
        let m = Corpus.message("apple_mail_it_attachments.eml")
        #expect(m.from.first?.name == "Anna Esposito")
        let names = m.attachments.map(\.filename)
        #expect(names == ["fattura_perché.pdf", "verbale riunione di lunedì.txt"])
        #expect(m.attachments.map(\.size) == [1059, 360])
        #expect(m.attachments[0].contentType == "application/pdf")
        #expect(m.attachments[0].bytes.starts(with: Array("%PDF-1.4".utf8)))
        #expect(m.attachments[1].bytes.starts(with: Array("Verbale riunione: è tutto a posto.".utf8)))
        let reply = m.reply
        #expect(reply.newText == "Buongiorno,\nvi allego la fattura e il verbale: nella fattura l'IVA è calcolata due volte.")
        #expect(reply.quoted.hasPrefix("Il giorno 30 nov 2026, alle ore 17:02, Supporto Sportello <support@example.it> ha scritto:"))
        #expect(reply.quoted.contains("> può inviarci la fattura in questione?"))
        #expect(m.threadKeys.ticketNumber == 88)
    }

    @Test func windows1252SmartQuotesAndLatin1EncodedSubject() {
        let m = Corpus.message("outlook_express_cp1252.eml")
        // Two encoded words joined without the folding blank between them.
        #expect(m.subject == "Problema con l'accesso a ZenShare: il pulsante non funziona più")
        #expect(m.from == [MailAddress(name: "Ferri, Luca", address: "luca.ferri@studioferri.example")])
        #expect(m.text.contains("il pulsante “Invia” non funziona più e compare l’errore ‘timeout’."))
        #expect(m.text.contains("è di 1.200 € — lo abbiamo già pagato."))
        #expect(m.reply.quoted.isEmpty)
    }

    @Test func lyingCharsetFallsBackToLatin1() {
        let m = Corpus.message("lying_charset_latin1_as_utf8.eml")
        #expect(m.text == "Buongiorno,\nnon riesco più ad aprire la fattura perché il file è danneggiato.\nGrazie, Paola\n")
        #expect(!m.text.contains("\u{FFFD}"))
    }

    @Test func htmlOnlyMailBecomesReadableText() {
        let m = Corpus.message("html_only_it.eml")
        // The è was split across two encoded words: joined as bytes, it decodes whole.
        #expect(m.subject == "Impossibile scaricare il report è urgente 😀")
        #expect(m.from.first?.name == "Chiara Gallì")
        #expect(m.textIsFromHTML)
        #expect(m.text == """
            Buongiorno,

            da questa mattina non riesco a scaricare il report mensile.
            Ho provato:

            - Chrome 120
            - Edge

            Il costo del servizio è di 50€ e non vorrei pagare di nuovo 😀.

            Dettagli: report di novembre <https://portal.example.it/report/2026-11> & altro.

            Saluti
            Chiara
            """)
        #expect(!m.text.contains("alert"))
        #expect(!m.text.contains("font-family"))
        #expect(!m.text.contains("commento nascosto"))
        #expect(!m.text.contains("Messaggio"))
    }

    @Test func forwardedMessageIsAnAttachmentAndParsed() {
        let m = Corpus.message("outlook_forward_rfc822.eml")
        #expect(m.text == "Vi inoltro la segnalazione del fornitore, vedete voi.\nRoberto")
        #expect(m.threadKeys.normalizedSubject == "Segnalazione errore dal nostro fornitore")
        #expect(m.attachments.map(\.filename) == ["Errore di sincronizzazione – lunedì.eml"])
        #expect(m.attachments.first?.contentType == "message/rfc822")
        #expect(m.attachments.first?.bytes.starts(with: Array("From: Fornitore <errori@fornitore.example>\r\n".utf8)) == true)
        #expect(MailMessage(bytes: m.attachments.first?.bytes ?? []).subject == "Errore di sincronizzazione – lunedì")
        let inner = m.embeddedMessages
        #expect(inner.count == 1)
        #expect(inner.first?.subject == "Errore di sincronizzazione – lunedì")
        #expect(inner.first?.text == "La sincronizzazione è fallita alle 17:55.")
        #expect(inner.first?.attachments.map(\.filename) == ["schermata.png"])
        #expect(inner.first?.attachments.first?.size == 128)
    }

    @Test func exchangeOutOfOfficeIsAnAutoReply() {
        let m = Corpus.message("exchange_out_of_office_it.eml")
        #expect(m.autoReplyReason == .autoSubmitted)
        #expect(!m.isBounce)
        #expect(m.threadKeys.ticketNumber == 123)
        #expect(m.text.hasPrefix("Sono fuori sede fino al 7 dicembre con accesso limitato alla posta. Per urgenze"))
    }

    @Test func vacationReplyRecognisedByItsSubject() {
        let m = Corpus.message("vacation_subject_only_en.eml")
        #expect(m.autoReplyReason == .outOfOfficeSubject)
        #expect(m.threadKeys.ticketNumber == 51)
    }

    @Test func postfixBounceReportsTheFailedRecipient() {
        let m = Corpus.message("postfix_dsn_bounce.eml")
        #expect(m.isBounce)
        #expect(m.from.first?.address == "MAILER-DAEMON@mx.example.it")
        #expect(m.from.first?.name == "Mail Delivery System")
        let statuses = MailSignals.deliveryStatuses(m)
        #expect(statuses == [DeliveryStatus(recipient: "nessuno@cliente.example", action: "failed", status: "5.1.1",
                                            diagnostic: "550 5.1.1 <nessuno@cliente.example>: Recipient address rejected: User unknown")])
        #expect(MailSignals.bouncedMessageID(m) == "notif-9@sportello.example.it")
        #expect(m.text.hasPrefix("This is the mail system at host mx.example.it."))
    }

    @Test func mailingListIsRecognised() {
        let m = Corpus.message("mailing_list_en.eml")
        #expect(m.listID == "users.lists.example.org")
        #expect(m.autoReplyReason == .precedence)
        #expect(m.threadKeys.ticketNumber == nil)
    }

    @Test func truncatedMultipartKeepsTextAndPartialAttachment() {
        let m = Corpus.message("truncated_multipart.eml")
        #expect(m.text == "In allegato il log dell'errore di stanotte.")
        #expect(m.attachments.map(\.filename) == ["server.log.gz"])
        // Half of the base64 of 3,000 bytes arrived.
        #expect((1400...1600).contains(m.attachments.first?.size ?? 0))
        #expect(m.defects.contains { $0.contains("closing delimiter") })
    }

    @Test func mobileReplyWithGroupsAndQuotedAttribution() {
        let m = Corpus.message("iphone_groups_it.eml")
        #expect(m.from == [MailAddress(name: "Nicolò Fabbri", address: "nicolo.fabbri@mobile.example")])
        #expect(m.to == [
            MailAddress(name: "Supporto, Sportello", address: "support@example.it"),
            MailAddress(name: nil, address: "vendite@example.it", group: "Commerciale"),
            MailAddress(name: "Ufficio Acquisti", address: "acquisti@cliente.example", group: "Commerciale"),
        ])
        #expect(m.cc.isEmpty)
        #expect(m.reply.newText == "Va bene, procedete pure.\n\nInviato da iPhone")
        #expect(m.reply.quoted.contains("Gentile cliente, le inviamo il preventivo."))
        #expect(m.threadKeys.references == ["notif-200-0@sportello.example.it", "notif-200-1@sportello.example.it"])
    }

    @Test func missingBoundaryIsGuessed() {
        let m = Corpus.message("missing_boundary.eml")
        #expect(m.text == "Il programma si blocca all'avvio.")
        #expect(m.attachments.map(\.filename) == ["errore.txt"])
        #expect(String(decoding: m.attachments.first?.bytes ?? [], as: UTF8.self) == "Errore 0x80004005")
    }

    @Test func relatedInlineImageIsAnInlineAttachment() {
        let m = Corpus.message("thunderbird_related_inline_image.eml")
        #expect(m.text == "Ecco la schermata dell'errore che compare all'apertura.\n")
        #expect(!m.textIsFromHTML)
        #expect(m.attachments.map(\.filename) == ["errore.png"])
        #expect(m.attachments.first?.isInline == true)
        #expect(m.attachments.first?.contentID == "part1.abc@conti.example")
        #expect(m.attachments.first?.size == 208)
    }
    @Test func outlookHTMLOnlyReplySeparatesTheDaInviatoBlock() {
        let m = Corpus.message("outlook_html_only_it_reply.eml")
        #expect(m.textIsFromHTML)
        #expect(m.reply.newText == "Buongiorno,\n\nil problema si ripresenta anche oggi alle 9:30.\n\nCordiali saluti\nFrancesca Moretti")
        #expect(m.reply.quoted.hasPrefix("Da: Supporto Sportello <support@example.it>\nInviato: lunedì 30 novembre 2026 17:02"))
        #expect(m.reply.quoted.hasSuffix("Gentile cliente, il problema è stato risolto."))
        #expect(!m.text.contains("MsoNormal"))
        #expect(m.threadKeys.ticketNumber == 301)
    }

    @Test func appleMailRepliesQuotingEarlierReplies() {
        let m = Corpus.message("apple_mail_en_nested_quotes.eml")
        #expect(m.reply.newText == "Hello again,\n\nthe export now works, but the totals are still wrong by 0,01 €.\n\nBest regards,\nSarah")
        #expect(m.reply.quoted.hasPrefix("> On 30 Nov 2026, at 17:02, Sportello Support <support@example.it> wrote:"))
        #expect(m.reply.quoted.hasSuffix(">> The export fails with error 500."))
        #expect(m.threadKeys.ancestors == ["notif-310-1@sportello.example.it", "notif-310-0@sportello.example.it"])
    }

    @Test func outlookEnglishOriginalMessageUnderLatin1LabelWith1252Quotes() {
        let m = Corpus.message("outlook_en_original_message.eml")
        #expect(m.from == [MailAddress(name: "Baker, Tom", address: "tom@baker.example")])
        #expect(m.to.first?.name == "'Sportello Support'")
        #expect(m.reply.newText == "Thank you – that fixed it.\nRegards, Tom")
        #expect(m.reply.quoted.hasPrefix("-----Original Message-----\nFrom: Sportello Support"))
        #expect(m.reply.quoted.contains("restart the “print spooler” service."))
    }

    @Test func unknownCharsetLabelStillReadsUTF8() {
        let m = Corpus.message("android_unknown_charset.eml")
        #expect(m.subject == "Non riesco ad accedere all’app")
        #expect(m.from.first?.name == "Davide Palmieri")
        #expect(m.text.hasPrefix("L'app si chiude subito dopo il login, non so perché."))
        #expect(m.reply.newText.hasSuffix("Inviato dal mio smartphone"))
    }

    @Test func gmailInlineImageAndPDFAttachment() {
        let m = Corpus.message("gmail_inline_and_attachment.eml")
        #expect(m.text == "Quando stampo il DDT compare questo errore:\n[image: errore.jpg]\nAllego anche il PDF generato.")
        #expect(m.attachments.map(\.filename) == ["errore.jpg", "DDT 2026-118.pdf"])
        #expect(m.attachments.map(\.isInline) == [true, false])
        #expect(m.attachments.map(\.size) == [66, 12])
        #expect(m.html?.contains("cid:ii_abc123") == true)
    }

    @Test func thunderbirdFlowedTextIsUnwrappedAndSignatureSplit() {
        let m = Corpus.message("thunderbird_en_new_request.eml")
        #expect(m.reply.newText == """
            Hello,

            after renewing our subscription the new licence key is rejected with "invalid signature". \
            The old key still works until Friday, so there is no hurry.
            """)
        #expect(m.reply.signature == "Mark Evans\nIT Manager, Evans Ltd")
        #expect(m.reply.quoted.isEmpty)
        #expect(m.cc.map(\.address) == ["it-team@evans.example", "lucy@evans.example"])
        #expect(m.autoReplyReason == nil && !m.isBounce && m.listID == nil)
    }
}
