import Foundation
import Testing
import SportelloMail

/// The second half of the corpus: one test per mail, what a support agent would see of it,
/// and the ingest manifest (Fixtures/EXPECTED.tsv) checked against the parser.
@Suite struct CorpusMoreTests {
    @Test func thunderbirdNestedQuotesUnderOneAttribution() {
        let m = Corpus.message("thunderbird_it_nested_reply.eml")
        #expect(m.subject == "Re: Re: [Sportello #412] Backup notturno non completato")
        #expect(m.cc == [MailAddress(name: "Paolo Rossi", address: "paolo@officinarossi.example")])
        // format=flowed: the line ending in a blank continues on the next one.
        #expect(m.reply.newText == """
            Buongiorno,

            stanotte il backup è terminato con lo stesso errore ("spazio insufficiente sul volume"), anche se sul disco ci sono 120 GB liberi.
            """)
        #expect(m.reply.quoted.hasPrefix("Il 01/12/2026 18:20, Supporto Sportello ha scritto:\n> Gentile cliente,\n"))
        #expect(m.reply.quoted.contains("> abbiamo aumentato la quota del volume. Ci faccia sapere se il backup di stanotte va a buon fine."))
        #expect(m.reply.quoted.hasSuffix(">> Nel log compare \"spazio insufficiente sul volume\"."))
        #expect(m.reply.signature == "Elena Rossi\nOfficina Rossi S.n.c. – Amministrazione")
        #expect(m.threadKeys.ancestors == ["notif-412-1@sportello.example.it", "a1c2e3f4-0b1d-4e2f-8a3b-5c6d7e8f9a0b@officinarossi.example",
                                          "notif-412-0@sportello.example.it"])
        #expect(m.threadKeys.normalizedSubject == "Backup notturno non completato")
    }

    @Test func outlookEnglishFromSentBlockAndEncodedWordFilename() {
        let m = Corpus.message("outlook_en_from_sent_2047_filename.eml")
        #expect(m.from == [MailAddress(name: "Hughes, Olivia", address: "olivia.hughes@northwind.example")])
        #expect(!m.textIsFromHTML)
        #expect(m.reply.newText == """
            Hi,

            Please find attached the price list that fails to import. The error appears at row 214 ("invalid unit of measure"); rows 1-213 are imported fine.

            Kind regards,
            Olivia Hughes
            Northwind Trading Ltd
            """)
        #expect(m.reply.quoted.hasPrefix("From: Sportello Support <support@example.it>\nSent: 01 December 2026 16:40\nTo: Hughes, Olivia"))
        // Two encoded words, folded inside the quoted filename, joined.
        #expect(m.attachments.map(\.filename) == ["Listino prezzi – dicembre 2026.xlsx"])
        #expect(m.attachments.first?.contentType == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        #expect(m.attachments.first?.size == 512)
        #expect(m.attachments.first?.bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) == true)
        #expect(m.html?.contains("MsoNormal") == true)
        #expect(m.threadKeys.messageID == "DB9PR02MB7321A0F4C3E2B1D09A8E7F6CDB2A9@DB9PR02MB7321.eurprd02.prod.outlook.com")
        #expect(m.threadKeys.ticketNumber == 518)
    }

    @Test func outlookWebBase64Latin1WithRuleBeforeTheDaInviatoBlock() {
        let m = Corpus.message("outlook_web_it_base64_latin1.eml")
        #expect(m.to == [MailAddress(name: "support@example.it", address: "support@example.it")])
        #expect(m.reply.newText == """
            Buongiorno,

            il link per reimpostare la password è scaduto prima che riuscissi ad aprirlo. Potete inviarmene un altro?

            Grazie mille
            Sara Conti
            """)
        #expect(m.reply.quoted.hasPrefix("________________________________\nDa: Supporto Sportello <support@example.it>\nInviato: martedì 1 dicembre 2026 18:30"))
        #expect(m.reply.quoted.hasSuffix("le abbiamo inviato il link per reimpostare la password: è valido per 30 minuti."))
        #expect(m.attachments.isEmpty)
        #expect(m.threadKeys.ticketNumber == 530 && m.threadKeys.normalizedSubject == "Password dimenticata")
    }

    @Test func gmailInlineForwardStaysInTheNewText() {
        let m = Corpus.message("gmail_web_it_forwarded_inline.eml")
        #expect(m.subject == "Fwd: Ordine 4471 non consegnato")
        // What was forwarded is what the sender wants read: nothing is quoted.
        #expect(m.reply.quoted.isEmpty)
        #expect(m.reply.newText.hasPrefix("Buongiorno,\nvi inoltro la mail del corriere: secondo loro l'indirizzo non esiste, ma è lo stesso di sempre.\n\nLuca\n\n---------- Forwarded message ---------\nDa: Consegne Veloci <notifiche@consegneveloci.example>\nDate: mar 1 dic 2026 alle ore 19:47\n"))
        #expect(m.reply.newText.hasSuffix("Il pacco è in giacenza presso la filiale di Bologna."))
        #expect(m.threadKeys.ticketNumber == nil && m.threadKeys.ancestors.isEmpty)
        #expect(m.threadKeys.normalizedSubject == "Ordine 4471 non consegnato")
    }

    @Test func gmailAndroidBase64ReplyWithEmoji() {
        let m = Corpus.message("gmail_android_en_reply_base64.eml")
        #expect(m.reply.newText == "Still crashing after the update 😕 The app closes as soon as I tap \"Sign in\".\n\nVersion 4.2.1 on a Pixel 8, Android 16.")
        #expect(m.reply.quoted.hasPrefix("On Tue, 1 Dec 2026, 17:05 Sportello Support, <support@example.it> wrote:\n\n> Dear customer,"))
        #expect(m.reply.signature == nil)
        #expect(m.threadKeys.inReplyTo == ["notif-533-0@sportello.example.it"])
    }

    @Test func appleMailInlineImageInsideRelatedAlternative() {
        let m = Corpus.message("apple_mail_it_related_inline_image.eml")
        #expect(!m.textIsFromHTML)
        #expect(m.text.hasPrefix("Buongiorno,\nquando stampo le etichette di spedizione compare questo errore:\n"))
        #expect(m.reply.newText.hasSuffix("La stampante è una Zebra ZD421, collegata via USB.\n\nFederica Greco"))
        #expect(m.html?.contains("cid:4B3A2C1D-0E9F-4A8B-B7C6-D5E4F3A2B1C0@icloud.example") == true)
        #expect(m.attachments.map(\.filename) == ["errore-etichette.png"])
        #expect(m.attachments.first?.isInline == true)
        #expect(m.attachments.first?.contentID == "4B3A2C1D-0E9F-4A8B-B7C6-D5E4F3A2B1C0@icloud.example")
        #expect(m.attachments.first?.size == 70)
        #expect(m.attachments.first?.bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) == true)
        #expect(m.threadKeys.ticketNumber == nil)
    }

    @Test func iPhoneQuotedAttributionKeepsSentFromInTheNewText() {
        let m = Corpus.message("iphone_en_reply_quoted_attribution.eml")
        #expect(m.reply.newText == "Yes, that's the invoice. Thanks!\n\nSent from my iPhone")
        #expect(m.reply.quoted.hasPrefix("> On 2 Dec 2026, at 10:14, Sportello Support <support@example.it> wrote:"))
        #expect(m.reply.quoted.hasSuffix("> please find the corrected invoice attached."))
        #expect(m.threadKeys.ticketNumber == 547)
    }

    @Test func gmailSignatureBeforeAnAttributionWrappedOverTwoLines() {
        let m = Corpus.message("gmail_web_it_signature_wrapped_attribution.eml")
        #expect(m.reply.newText == "Buongiorno,\n\nsì, il problema si presenta solo con i PDF più grandi di 20 MB; quelli più piccoli vengono caricati senza errori.")
        #expect(m.reply.signature == "Martina Serra\nStudio Serra Commercialisti")
        #expect(m.reply.quoted.hasPrefix("Il giorno mar 1 dic 2026 alle ore 17:02 Supporto Sportello <\nsupport@example.it> ha scritto:\n\n> Gentile cliente,"))
        #expect(m.threadKeys.ticketNumber == 552)
    }

    @Test func k9NewRequestWithSignature() {
        let m = Corpus.message("k9_it_new_request_signature.eml")
        #expect(m.from == [MailAddress(name: "Alessandro Riva", address: "a.riva@posta.example")])
        #expect(m.reply.newText == """
            Buongiorno,
            dal 30 novembre il calendario condiviso non si sincronizza più sul telefono: l'ultimo evento visibile è quello del 29.
            Cosa posso verificare?

            Alessandro
            """)
        #expect(m.reply.signature == "Inviato dal mio dispositivo Android con K-9 Mail. Perdonate la brevità.")
        #expect(m.reply.quoted.isEmpty)
        #expect(m.autoReplyReason == nil && !m.isBounce && m.threadKeys.ticketNumber == nil)
    }

    @Test func fairEmailInterleavedAnswersAreTheNewText() {
        let m = Corpus.message("fairemail_en_interleaved_reply.eml")
        // The blank lines on both sides of a removed quote become one.
        #expect(m.reply.newText == "CSV, semicolon separated.\n\nAbout 48,000. The export stops at 32,767 every time.\n\nTom")
        #expect(m.reply.quoted == "On 12/1/26 5:30 PM, Sportello Support wrote:\n> 1. Which format do you export to?\n\n> 2. How many rows does the file have?")
        #expect(!m.textIsFromHTML)
    }

    @Test func zimbraMessaggioOriginaleSeparator() {
        let m = Corpus.message("zimbra_it_messaggio_originale.eml")
        #expect(m.reply.newText == "Buongiorno,\nil certificato è stato rinnovato stamattina, potete verificare che il portale lo mostri?\n\nCordiali saluti\nUfficio Tecnico - Comune di Esempio")
        #expect(m.reply.quoted.hasPrefix("----- Messaggio originale -----\nDa: \"Supporto Sportello\" <support@example.it>"))
        #expect(m.sentAt == Date(timeIntervalSince1970: 1_796_229_850)) // Wed, 2 Dec 2026 17:44:10 +0100 (CET)
        #expect(m.threadKeys.ticketNumber == 565)
    }

    @Test func roundcubeLatin9QuotedPrintableFlowed() {
        let m = Corpus.message("roundcube_it_latin9_flowed.eml")
        // =A4 is € in ISO-8859-15 (¤ in Latin-1); the encoded trailing blank (=20) still flows.
        #expect(m.reply.newText == "Buongiorno,\nil preventivo di 1.480 € va bene, ma la manutenzione deve essere fatta entro il 15 dicembre perché poi l'officina chiude per ferie.\n\nSaluti\nBruno Galli")
        #expect(m.reply.quoted == "Il 2026-12-01 17:02 Supporto Sportello ha scritto:\n> Gentile cliente,\n> le inviamo il preventivo per la manutenzione annuale: 1.480 € IVA esclusa.")
        #expect(m.threadKeys.ticketNumber == 571)
    }

    @Test func prefixChainBeforeTheTagWithoutInReplyTo() {
        let m = Corpus.message("outlook_it_prefix_chain_tag.eml")
        #expect(m.subject == "R: I: AW: Fwd: RE: [Sportello #1045] Richiesta di rimborso")
        #expect(m.threadKeys.ticketNumber == 1045)
        #expect(m.threadKeys.normalizedSubject == "Richiesta di rimborso")
        #expect(m.threadKeys.ancestors.isEmpty)
        #expect(m.reply.newText == "Buongiorno,\nvi giro la risposta del nostro ufficio acquisti tedesco: il rimborso di 230 € non risulta ancora arrivato.\n\nCordiali saluti\nValentina Marchi")
        #expect(m.reply.quoted.hasPrefix("Da: Einkauf <einkauf@marchi-gmbh.example> \nInviato: martedì 1 dicembre 2026 15:20"))
        #expect(m.reply.quoted.contains("die Rückerstattung ist bei uns noch nicht eingegangen.\n\nGrüße"))
    }

    @Test func thunderbirdRFC2231ContinuedFilename() {
        let m = Corpus.message("thunderbird_en_rfc2231_continuation.eml")
        #expect(m.reply.newText == "Hello,\n\nattached is the report of Monday's on-site visit at our Modena branch. The technician could not finish the update because the server ran out of disk space.\n\nBest regards,\nHelen Clarke")
        #expect(m.attachments.map(\.filename) == ["Resoconto intervento di lunedì 30 novembre – Sede di Modena.pdf"])
        #expect(m.attachments.first?.size == 700)
        #expect(m.attachments.first?.bytes.starts(with: Array("%PDF-1.7".utf8)) == true)
        #expect(m.threadKeys.ticketNumber == nil)
    }

    @Test func thunderbirdForwardAsAttachmentOfALatin1Message() {
        let m = Corpus.message("thunderbird_it_forward_as_attachment.eml")
        #expect(m.text == "Vi inoltro la richiesta del cliente: potete preparare voi l'offerta?\n\nGrazie\nStefano")
        #expect(m.attachments.map(\.filename) == ["Richiesta di offerta.eml"])
        #expect(m.attachments.first?.contentType == "message/rfc822")
        let inner = m.embeddedMessages
        #expect(inner.count == 1)
        #expect(inner.first?.subject == "Richiesta di offerta")
        #expect(inner.first?.from == [MailAddress(name: "Ferramenta Sartori", address: "ordini@sartori.example")])
        #expect(inner.first?.text == "Buongiorno,\nvorremmo un'offerta per 25 licenze del gestionale. È possibile avere uno sconto per il pagamento anticipato?\n\nCordiali saluti\nFerramenta Sartori\n")
        #expect(m.threadKeys.normalizedSubject == "Richiesta di offerta")
    }

    @Test func webFormHTMLOnlyWithScriptStyleTableAndList() {
        let m = Corpus.message("webform_html_only_it.eml")
        #expect(m.subject == "Nuova richiesta dal modulo “Assistenza”")
        #expect(m.replyTo == [MailAddress(name: "Ilaria Bassi", address: "ilaria.bassi@bassi-arredi.example")])
        #expect(m.textIsFromHTML)
        #expect(m.text == """
            È arrivata una nuova richiesta dal modulo Assistenza:

            Nome Ilaria Bassi
            Azienda Bassi Arredi & C.
            Telefono +39 051 0000000

            Messaggio:
            Il configuratore non salva le modifiche al carrello.
            Passaggi:

            - aggiungo un divano
            - cambio il colore in «grigio perla»
            - premo "Salva": compare ⚠ “errore 409”

            Inviato da sito-cliente.example <https://sito-cliente.example/assistenza> il 02/12/2026 alle 19:12.
            """)
        #expect(!m.text.contains("window.onload"))
        #expect(!m.text.contains("font-family"))
    }

    @Test func eximBounceWithTheOriginalHeaders() {
        let m = Corpus.message("exim_dsn_bounce_rfc822_headers.eml")
        #expect(m.isBounce)
        #expect(m.from == [MailAddress(name: "Mail Delivery System", address: "Mailer-Daemon@smtp.example.it")])
        #expect(MailSignals.deliveryStatuses(m) == [DeliveryStatus(recipient: "ordini@fornitore.example", action: "failed",
                                                                  status: "5.0.0", diagnostic: "552 5.2.2 Mailbox full")])
        #expect(MailSignals.bouncedMessageID(m) == "notif-580-2@sportello.example.it")
        // The X-Loop inside the returned headers is not the bounce's own.
        #expect(!MailSignals.hasLoopMarker(m.headers, marker: "support@example.it"))
        #expect(m.text.hasPrefix("This message was created automatically by mail delivery software."))
        #expect(m.attachments.map(\.contentType) == ["message/delivery-status", "text/rfc822-headers"])
    }

    @Test func office365NonDeliveryReportInItalian() {
        let m = Corpus.message("office365_ndr_it_rfc822_headers.eml")
        #expect(m.isBounce)
        #expect(m.subject == "Non recapitabile: [Sportello #590] La richiesta è stata presa in carico")
        #expect(m.from == [MailAddress(name: "Microsoft Outlook", address: "postmaster@clienteo365.onmicrosoft.example")])
        #expect(MailSignals.deliveryStatuses(m) == [DeliveryStatus(
            recipient: "m.rossi@cliente-o365.example", action: "failed", status: "5.1.10",
            diagnostic: "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient m.rossi@cliente-o365.example not found by SMTP address lookup")])
        #expect(MailSignals.bouncedMessageID(m) == "notif-590-2@sportello.example.it")
        #expect(m.text.hasPrefix("Recapito non riuscito per questi destinatari o gruppi:\n\nm.rossi@cliente-o365.example"))
        // A bounce that also threads and carries the tag: isBounce decides first.
        #expect(m.threadKeys.ticketNumber == 590)
        #expect(m.threadKeys.inReplyTo == ["notif-590-1@sportello.example.it"])
    }

    @Test func googleVacationResponder() {
        let m = Corpus.message("gmail_vacation_responder_it.eml")
        #expect(m.autoReplyReason == .autoSubmitted)
        #expect(!m.isBounce)
        #expect(m.text == "Sono in ferie fino al 7 dicembre e leggerò la posta al rientro.\nPer urgenze scrivete a ufficio@lodi.example.\n")
        #expect(m.threadKeys.ticketNumber == nil)
        #expect(m.threadKeys.inReplyTo == ["notif-600-1@sportello.example.it"])
    }

    @Test func exchangeOutOfOfficeWithOnlyResponseSuppress() {
        let m = Corpus.message("exchange_oof_it_response_suppress.eml")
        #expect(m.autoReplyReason == .autoResponseSuppress)
        #expect(m.text == "Sarò assente dallo studio fino a lunedì 7 dicembre.\nPer questioni urgenti potete contattare la segreteria al numero 02 0000000.\n")
        #expect(m.threadKeys.ticketNumber == 605)
    }

    @Test func autoresponderWithXAutoreplyAndNullReturnPath() {
        let m = Corpus.message("autoresponder_en_x_autoreply.eml")
        #expect(m.autoReplyReason == .autoreplyHeader)
        // Return-Path <> too, but an auto-reply is not a bounce (RFC 3834 §3.3).
        #expect(!m.isBounce)
        #expect(m.from == [MailAddress(address: "sales@brightlamps.example")])
    }

    @Test func helpdeskAcknowledgementIsBulkNotOurLoop() {
        let m = Corpus.message("helpdesk_ack_it_precedence_bulk.eml")
        #expect(m.autoReplyReason == .precedence)
        #expect(!MailSignals.hasLoopMarker(m.headers, marker: "support@example.it"))
        #expect(m.threadKeys.ticketNumber == 612)
        #expect(m.listID == nil)
    }

    @Test func mailmanListMessage() {
        let m = Corpus.message("mailing_list_it_mailman.eml")
        #expect(m.listID == "utenti.lists.example.org")
        #expect(m.autoReplyReason == .precedence)
        #expect(m.to == [MailAddress(address: "utenti@lists.example.org")])
        #expect(m.text.hasSuffix("Utenti mailing list -- utenti@lists.example.org\nTo unsubscribe send an email to utenti-leave@lists.example.org\n"))
    }

    @Test func ourOwnNotificationComingBackCarriesOurLoopMarker() {
        let m = Corpus.message("loop_own_notification_returned.eml")
        #expect(MailSignals.hasLoopMarker(m.headers, marker: "support@example.it"))
        #expect(m.subject == "[Sportello #620] La richiesta è stata presa in carico")
        #expect(m.from.first?.address == "support@example.it")
        #expect(m.autoReplyReason == .autoSubmitted)
        #expect(m.threadKeys.messageID == "4f9a1c2b7d3e@sportello.example.it")
    }

    // MARK: The ingest manifest

    /// The ingest class from the signals, in the order the gateway must ask: our own mail
    /// back, a bounce (DSNs are usually Auto-Submitted too), a list, an auto-reply, then a reply
    /// (tag or In-Reply-To), else a new request.
    static func ingestClass(_ m: MailMessage) -> String {
        if MailSignals.hasLoopMarker(m.headers, marker: "support@example.it") { return "loop" }
        if m.isBounce { return "bounce" }
        if m.listID != nil { return "list" }
        if m.autoReplyReason != nil { return "autoReply" }
        let keys = m.threadKeys
        if keys.ticketNumber != nil || !keys.inReplyTo.isEmpty { return "reply" }
        return "new"
    }

    @Test func manifestAgreesWithTheParser() throws {
        let url = Corpus.directory.appendingPathComponent("EXPECTED.tsv")
        let text = try String(contentsOf: url, encoding: .utf8)
        let rows = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.allSatisfy { $0.count == 4 })
        #expect(rows.map { $0[0] } == Corpus.names, "one row per fixture, in name order")
        let classes: Set<String> = ["new", "reply", "autoReply", "bounce", "list", "loop"]
        for row in rows where row.count == 4 {
            let m = Corpus.message(row[0])
            #expect(classes.contains(row[1]), "\(row[0])")
            #expect(Self.ingestClass(m) == row[1], "\(row[0])")
            #expect(m.threadKeys.ticketNumber.map(String.init) ?? "-" == row[2], "\(row[0])")
            #expect(m.threadKeys.messageID ?? "-" == row[3], "\(row[0])")
        }
        // Every class is exercised.
        #expect(Set(rows.map { $0[1] }) == classes)
    }
}
