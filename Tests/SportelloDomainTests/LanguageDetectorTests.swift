import Foundation
import Testing
@testable import SportelloDomain

private typealias Prose = LanguageDetector.Prose
private typealias Tokenizer = LanguageDetector.Tokenizer
private typealias NGramModel = LanguageDetector.NGramModel
private typealias Lexicon = LanguageDetector.Lexicon
private typealias ReferenceProse = LanguageDetector.ReferenceProse

/// A support message and the language a person would say it is in.
struct LanguageSample: CustomTestStringConvertible, Sendable {
    enum Kind: Sendable { case long, short, noisy, mixed, accentless }
    let text: String
    let language: Language
    let kind: Kind

    var testDescription: String { "\(language.rawValue): \(text.prefix(60))" }
}

private func it(_ kind: LanguageSample.Kind, _ text: String) -> LanguageSample {
    LanguageSample(text: text, language: .it, kind: kind)
}

private func en(_ kind: LanguageSample.Kind, _ text: String) -> LanguageSample {
    LanguageSample(text: text, language: .en, kind: kind)
}

// Written for these tests (none copied from the detector's reference prose).
let italianSamples: [LanguageSample] = [
    it(.long, "Buongiorno, non riesco ad accedere al portale ZenShare da stamattina. Inserisco le credenziali corrette ma la pagina torna sempre alla schermata iniziale."),
    it(.long, "Salve, le fatture elettroniche inviate ieri risultano ancora in stato \"in elaborazione\". Potete verificare se ci sono problemi con il Sistema di Interscambio?"),
    it(.long, "Gentili signori, vi segnaliamo che dal 3 marzo la conservazione dei registri IVA si blocca con un errore generico. Il problema riguarda tutte le società del gruppo."),
    it(.long, "Buonasera, volevo sapere come si aggiunge un nuovo utente con permessi di sola lettura. Ho provato dal menu Amministrazione ma l'opzione è disattivata."),
    it(.long, "Da questa mattina la sincronizzazione delle cartelle condivise è ferma. I colleghi della sede di Pescara non vedono più i documenti caricati da Milano."),
    it(.long, "Vi chiedo cortesemente di attivare la firma digitale per il nostro amministratore delegato. Il certificato è stato rinnovato la settimana scorsa."),
    it(.long, "Quando provo a esportare il report mensile in formato Excel il download parte ma il file risulta vuoto. Con il formato PDF invece funziona tutto regolarmente."),
    it(.long, "Abbiamo bisogno di modificare il flusso di approvazione delle note spese: oggi serve la firma di due responsabili, vorremmo che bastasse quella del capo reparto."),
    it(.long, "La ricerca full-text non trova più i contratti archiviati prima del 2023. È possibile che l'indice debba essere ricostruito? Attendiamo vostre indicazioni."),
    it(.long, "Il nostro commercialista ci chiede di ricevere in automatico una copia di tutte le fatture passive. Si può configurare un inoltro verso il suo indirizzo PEC?"),
    it(.long, "Segnalo che il pulsante Salva nella scheda anagrafica clienti non risponde. Bisogna ricaricare la pagina e reinserire tutti i dati, con grande perdita di tempo."),
    it(.long, "Vorremmo un preventivo per collegare il gestionale di magazzino alla piattaforma documentale, in modo che le bolle vengano archiviate senza intervento manuale."),
    it(.long, "Da quando avete aggiornato l'interfaccia, le colonne della tabella documenti non mantengono più l'ordinamento che avevamo impostato. Si tratta di un difetto o di una scelta voluta?"),
    it(.long, "Il sistema ci ha notificato uno scarto per dodici fatture con il codice 00404, fattura duplicata. Non capiamo il motivo perché i numeri sono tutti diversi."),
    it(.long, "Ho dimenticato la password e il link per reimpostarla è scaduto prima che riuscissi ad aprirlo. Potreste inviarmene uno nuovo all'indirizzo registrato?"),
    it(.long, "Abbiamo rilevato che un utente disabilitato riesce ancora a scaricare gli allegati tramite un collegamento condiviso. Riteniamo si tratti di una vulnerabilità da verificare con urgenza."),
    it(.long, "Il servizio risulta irraggiungibile per tutti i nostri uffici dalle 14:20. Si tratta di un blocco totale della produzione, vi prego di intervenire subito."),
    it(.long, "Potreste spiegarci come impostare le regole di conservazione per i documenti del personale? Vorremmo che venissero eliminati automaticamente dopo dieci anni."),
    it(.long, "Salve, nel riepilogo dei consumi del pacchetto di assistenza risultano addebitate sei ore, ma secondo i nostri conteggi l'intervento è durato al massimo tre ore."),
    it(.long, "Non ci arrivano più le email di notifica quando un documento viene assegnato a un collega. Abbiamo controllato anche la cartella della posta indesiderata."),
    it(.long, "Buongiorno, accettiamo il preventivo numero 58 per l'integrazione con il protocollo informatico. Restiamo in attesa della pianificazione delle attività."),
    it(.long, "La stampa massiva delle lettere di sollecito si interrompe dopo circa cento documenti senza alcun messaggio. Dobbiamo ripartire ogni volta dall'inizio."),
    it(.accentless, "perche non funziona piu il caricamento dei documenti? e da ieri che ci provo"),
    it(.accentless, "Buongiorno, il portale e irraggiungibile da stamattina, non riusciamo a lavorare. Quando pensate di risolvere?"),
    it(.accentless, "ciao, mi sapete dire perche' la fattura non e' stata consegnata? il cliente dice che non gli e' arrivata"),
    it(.accentless, "non si apre piu la pagina delle impostazioni, da un errore e poi si chiude"),
    it(.accentless, "E possibile avere una copia del contratto di assistenza? Non la troviamo piu"),
    it(.accentless, "la procedura di firma si blocca sempre allo stesso punto, gia provato con due browser diversi"),
    it(.short, "Grazie mille, tutto risolto."),
    it(.short, "Non funziona più niente!"),
    it(.short, "Il portale è lento."),
    it(.short, "Potete richiamarmi?"),
    it(.short, "Ok grazie, attendo vostre notizie"),
    it(.short, "URGENTE: fatture bloccate"),
    it(.short, "Accesso negato al portale"),
    it(.noisy, """
        Buongiorno,
        dal gestionale otteniamo questo errore quando inviamo i documenti:

        ```
        HTTP/1.1 500 Internal Server Error
        {"error": "upstream timeout", "request_id": "a81f-22c"}
        ```

        Potete controllare? Il problema è iniziato verso le 10.
        Grazie
        Mario Bianchi
        Ufficio Amministrazione - Rossi Trasporti S.r.l.
        Tel. 085 123456
        """),
    it(.noisy, """
        Vi confermo che ora il caricamento funziona di nuovo, potete chiudere la segnalazione.

        Il giorno lun 12 mag 2025 alle ore 10:22 Support Team <support@interzen.it> ha scritto:
        > Dear customer, could you please send us the full error message and the time
        > it happened? We have deployed a fix and would like to confirm the issue is solved.
        > Kind regards, Interzen Customer Service
        """),
    it(.noisy, """
        Salve, il link https://portal.example.com/documents?id=8812&view=full restituisce una pagina bianca.
        Ho provato anche da https://portal.example.com/login ma nulla da fare. Utente: m.verdi@example.it
        """),
    it(.noisy, """
        Buongiorno, allego il log richiesto.
            at com.zenshare.sync.Worker.run(Worker.java:214)
            at java.base/java.lang.Thread.run(Thread.java:833)
        Caused by: java.net.SocketTimeoutException: Read timed out
        Il blocco si verifica ogni notte durante la sincronizzazione.
        """),
    it(.noisy, """
        Buonasera, vi inoltro la comunicazione ricevuta dal cliente: il documento non risulta firmato.
        -----Original Message-----
        From: John Smith <john.smith@example.com>
        Sent: Monday, May 12, 2025 9:14 AM
        Subject: Unsigned document
        Hello, the contract you sent us does not carry a valid signature. Please resend it.
        """),
    it(.mixed, "Buongiorno, quando provo a caricare il file ottengo l'errore \"Access denied: you do not have permission to view this resource\". Potete aiutarmi a capire cosa devo fare?"),
    it(.mixed, "Ciao, il workflow di approvazione si ferma allo step \"Manager review\" e il ticket resta pending. Il manager ha già approvato due volte, potete controllare?"),
    it(.mixed, "Dopo l'upgrade il login con SSO restituisce \"Invalid SAML response\" a tutti gli utenti del dominio. Il backup delle configurazioni è stato fatto ieri sera."),
    it(.long, """
        Gentile assistenza,
        vi scrivo per segnalare un comportamento anomalo nella gestione delle deleghe. Quando un \
        responsabile va in ferie e delega le approvazioni a un collega, le richieste già in coda \
        non vengono trasferite e restano bloccate fino al suo rientro. Questo ci crea parecchi \
        ritardi, soprattutto nel periodo estivo.

        Vi chiederei di verificare se si tratta di un malfunzionamento oppure di una funzione \
        non prevista; nel secondo caso saremmo interessati a ricevere un preventivo.

        Cordiali saluti,
        Laura Ferri
        """),
]

let englishSamples: [LanguageSample] = [
    en(.long, "Hi, the e-invoice export fails with error 500 since yesterday. We need to send the invoices to our customers by Friday."),
    en(.long, "Hello, I cannot log into the ZenShare portal this morning. The page keeps redirecting me back to the sign-in form after I enter my credentials."),
    en(.long, "Our users in the London office are unable to open documents shared from the Milan workspace. They get a blank preview and the download never starts."),
    en(.long, "Could you please tell us how to add a read-only user? The option in the administration menu is greyed out for my account."),
    en(.long, "We would like a quotation for connecting our warehouse system to the document platform so that delivery notes are archived without manual steps."),
    en(.long, "Since the last update the search no longer finds contracts archived before 2023. Does the index need to be rebuilt? Please advise."),
    en(.long, "The Save button on the customer details tab does not respond. We have to reload the page and enter all the data again, which wastes a lot of time."),
    en(.long, "Twelve invoices were rejected by the exchange system with code 00404, duplicate invoice, but all the numbers are different. What should we do?"),
    en(.long, "I forgot my password and the reset link expired before I could open it. Could you send me a new one to my registered address?"),
    en(.long, "We found that a disabled user can still download attachments through a shared link. We believe this is a security vulnerability and should be checked urgently."),
    en(.long, "The service has been unreachable for all our offices since 2:20 PM. Production is completely blocked, please act immediately."),
    en(.long, "Could you explain how to set retention rules for personnel documents? We would like them to be deleted automatically after ten years."),
    en(.long, "The consumption summary of our support package shows six hours charged, but according to our records the work took three hours at most."),
    en(.long, "We no longer receive notification emails when a document is assigned to a colleague. We have checked the spam folder as well."),
    en(.long, "Good morning, we accept quotation number 58 for the integration with the records management system. We look forward to hearing about the schedule."),
    en(.long, "Bulk printing of reminder letters stops after about one hundred documents without any message, and we have to start over every time."),
    en(.long, "Since you changed the interface, the columns in the documents table no longer keep the sort order we set. Is this a defect or an intended change?"),
    en(.long, "Our accountant would like to receive a copy of all incoming invoices automatically. Can you set up forwarding to her certified email address?"),
    en(.long, "We need to change the expense approval flow: today two managers must sign, and we would like the head of department's signature to be enough."),
    en(.long, "The digital signature for our managing director needs to be activated again, as the certificate was renewed last week."),
    en(.long, "When I export the monthly report to Excel the download starts but the file is empty. The PDF export works fine."),
    en(.long, "Folder synchronisation has been stuck since this morning, and colleagues at the other site can't see the documents uploaded from head office."),
    en(.long, """
        Dear support,
        I'm writing about the delegation feature. When a manager goes on holiday and delegates \
        approvals to a colleague, the requests already in the queue aren't transferred and stay \
        blocked until they return. This causes significant delays, especially in summer.

        Could you check whether this is a bug or simply a missing feature? In the latter case \
        we would be interested in a quotation.

        Best regards,
        Giulia Marchetti
        """),
    en(.short, "Thanks, it works now."),
    en(.short, "Still not working!"),
    en(.short, "The portal is very slow today."),
    en(.short, "Can you call me back?"),
    en(.short, "URGENT: invoices stuck"),
    en(.short, "Access denied again"),
    en(.short, "Please close this ticket."),
    en(.short, "Any update on this?"),
    en(.noisy, """
        Hi team,
        our ERP gets this response when pushing documents:

        ```
        HTTP/1.1 500 Internal Server Error
        {"errore": "timeout del servizio a monte", "richiesta": "a81f-22c"}
        ```

        Could you have a look? It started at around 10 AM.
        Thanks
        Marco Rossi
        Amministrazione - Rossi Trasporti S.r.l.
        """),
    en(.noisy, """
        I can confirm that uploads work again, you can close the ticket.

        On Mon, 12 May 2025 at 10:22, Servizio Clienti <support@interzen.it> wrote:
        > Gentile cliente, potrebbe inviarci il messaggio di errore completo e l'orario in cui
        > si è verificato? Abbiamo rilasciato una correzione e vorremmo conferma della soluzione.
        > Cordiali saluti, Servizio Clienti Interzen
        """),
    en(.noisy, """
        Hello, the link https://portal.example.com/documents?id=8812&view=full shows a blank page.
        I also tried https://portal.example.com/login with no luck. User: m.verdi@example.it
        """),
    en(.noisy, """
        Hi, attaching the log you asked for.
            at com.zenshare.sync.Worker.run(Worker.java:214)
            at java.base/java.lang.Thread.run(Thread.java:833)
        Caused by: java.net.SocketTimeoutException: Read timed out
        The failure happens every night during the sync.
        """),
    en(.noisy, """
        Hello, I'm forwarding what our supplier wrote: the document is not signed.
        -----Messaggio originale-----
        Da: Giovanni Neri <g.neri@example.it>
        Inviato: lunedì 12 maggio 2025 09:14
        Oggetto: Documento non firmato
        Buongiorno, il contratto che ci avete inviato non riporta una firma valida. Vi preghiamo di inviarlo di nuovo.
        """),
    en(.noisy, """
        The invoice batch failed again tonight. Can someone look at it before the deadline?

        --
        Paolo Esposito | IT Manager
        Esposito Logistica S.p.A. - Via Roma 12, 65100 Pescara
        Questo messaggio e i suoi allegati sono indirizzati esclusivamente alle persone indicate e \
        possono contenere informazioni riservate. Se avete ricevuto questa email per errore, vi \
        preghiamo di cancellarla e di darne comunicazione al mittente.
        """),
    en(.mixed, "Hi, when I click the \"Invia in conservazione\" button nothing happens, and the status stays \"Da inviare\". Could you check what's going on?"),
    en(.mixed, "The error message says \"Impossibile completare l'operazione, riprovare più tardi\" every time we try to upload the quarterly register."),
    en(.mixed, "Our Italian branch (Fratelli Bianchi S.r.l., Ufficio Acquisti) cannot access the invoices portal since this morning, can you help?"),
    en(.long, "We are planning to migrate about forty thousand documents from our old archive. What is the recommended way to do it without affecting the daily work of our users?"),
    en(.long, "After the upgrade, single sign-on returns an invalid response for every user in our domain. We restored yesterday's configuration backup but it did not help."),
    en(.long, "Is there a way to be notified when a preservation package is rejected? At the moment we only find out by checking the dashboard manually every morning."),
    en(.long, "Our auditors asked for an export of the access log for the last six months. Could you tell us whether this is included in our subscription or needs a separate quote?"),
]

@Suite("LanguageDetector")
struct LanguageDetectorTests {

    static let longSamples = (italianSamples + englishSamples).filter { $0.kind == .long }

    @Test("the corpus is big enough to mean something")
    func corpusSize() {
        #expect(italianSamples.count >= 40)
        #expect(englishSamples.count >= 40)
        #expect(Self.longSamples.count >= 40)
    }

    @Test("every unambiguous long message is detected", arguments: longSamples)
    func longMessages(_ sample: LanguageSample) {
        let result = LanguageDetector.detect(sample.text)
        #expect(result?.language == sample.language)
        #expect((result?.confidence ?? 0) > 0.9)
    }

    @Test("at least 95 % of all samples are detected correctly (nil counts as wrong)")
    func overallAccuracy() {
        let all = italianSamples + englishSamples
        var wrong: [String] = []
        for sample in all where LanguageDetector.detect(sample.text)?.language != sample.language {
            wrong.append(sample.testDescription)
        }
        let accuracy = Double(all.count - wrong.count) / Double(all.count)
        print("LanguageDetector accuracy: \(all.count - wrong.count)/\(all.count) = \(accuracy); misses: \(wrong)")
        #expect(accuracy >= 0.95, "misses: \(wrong)")
    }

    @Test("each category on its own is at least 90 % right")
    func perCategory() {
        let all = italianSamples + englishSamples
        for kind in [LanguageSample.Kind.short, .noisy, .mixed, .accentless] {
            let group = all.filter { $0.kind == kind }
            let right = group.filter { LanguageDetector.detect($0.text)?.language == $0.language }.count
            #expect(!group.isEmpty)
            #expect(Double(right) >= 0.9 * Double(group.count), "\(kind): \(right)/\(group.count)")
        }
    }

    @Test("texts with nothing to go on give nil", arguments: [
        "", "   \n\t", "ok", "OK!", "Ok.", "no", "test", "123456", "#4521", "https://portal.example.com/x",
        "mario.rossi@example.it", "PDF", "ZenShare", "???", "> quoted only\n> line two",
        "```\nlet x = 1;\n```",
    ])
    func nothingToGoOn(_ text: String) {
        #expect(LanguageDetector.detect(text) == nil)
    }

    // Documented choice: one unambiguous word is enough, with a modest confidence.
    @Test("a single unambiguous word answers, without much confidence", arguments: [
        ("grazie", Language.it), ("Grazie!", .it), ("buongiorno", .it), ("urgente", .it),
        ("thanks", .en), ("Thanks!", .en), ("hello", .en), ("please", .en),
    ])
    func singleWords(_ text: String, _ language: Language) throws {
        let result = try #require(LanguageDetector.detect(text))
        #expect(result.language == language)
        #expect(result.confidence < 0.95)
    }

    @Test("confidence is within (0.5, 1] and grows with evidence")
    func confidenceGrows() throws {
        let short = try #require(LanguageDetector.detect("Non funziona"))
        let long = try #require(LanguageDetector.detect(
            "Non funziona il caricamento dei documenti nella sezione archivio, potete verificare?"))
        #expect(short.confidence > 0.5 && short.confidence <= 1)
        #expect(long.confidence > short.confidence)
        let english = try #require(LanguageDetector.detect("It does not work"))
        #expect(english.language == .en)
        #expect(english.confidence > 0.5 && english.confidence <= 1)
    }

    @Test("accents do not matter: the same Italian text with and without accents")
    func accentInsensitive() throws {
        let accented = "Perché non è più possibile scaricare la fattura? Già ieri c'era lo stesso problema."
        let plain = "Perche non e piu possibile scaricare la fattura? Gia ieri c'era lo stesso problema."
        let apostrophes = "Perche' non e' piu' possibile scaricare la fattura? Gia' ieri c'era lo stesso problema."
        for text in [accented, plain, apostrophes] {
            #expect(LanguageDetector.detect(text)?.language == .it, "\(text)")
        }
        // Folding alone gives the same words; the accents only add a little evidence.
        let a = LanguageDetector.score(accented).logOdds
        let p = LanguageDetector.score(plain).logOdds
        #expect(p > 0 && a >= p && a - p < 6)
    }

    @Test("the majority language of a mixed message wins")
    func majorityWins() {
        let mostlyItalian = "Buongiorno, il cliente ci ha scritto \"the invoice is wrong\", ma secondo noi i dati sono corretti. Potete controllare la fattura numero 12 e dirci se dobbiamo emetterne una nuova?"
        let mostlyEnglish = "Hello, our Italian colleague wrote \"la fattura è sbagliata\", but we think the data is correct. Could you check invoice number 12 and tell us whether we need to issue a new one?"
        #expect(LanguageDetector.detect(mostlyItalian)?.language == .it)
        #expect(LanguageDetector.detect(mostlyEnglish)?.language == .en)
    }

    @Test("quoted replies, signatures and code do not count")
    func noiseIsIgnored() {
        let italian = "Il problema si presenta ancora, potete ricontrollare?"
        let englishQuote = (1...20).map { "> This is line \($0) of the previous message from the support team, which was written in English." }
            .joined(separator: "\n")
        #expect(LanguageDetector.detect(italian + "\n\n" + englishQuote)?.language == .it)
        #expect(LanguageDetector.score(italian + "\n\n" + englishQuote) == LanguageDetector.score(italian))

        let english = "The problem is still there, could you check again?"
        let italianSignature = "\n-- \nMario Rossi\nQuesto messaggio è riservato e destinato esclusivamente al destinatario indicato. Se lo avete ricevuto per errore vi preghiamo di distruggerlo."
        #expect(LanguageDetector.score(english + italianSignature) == LanguageDetector.score(english))

        let code = "\n```swift\nlet fattura = try await archivio.carica(documento)\nprint(\"non trovato\")\n```\n"
        #expect(LanguageDetector.score(english + code) == LanguageDetector.score(english))
    }

    @Test("a closing line ends the prose: the signature block after it does not count")
    func closingEndsProse() {
        let body = "The export still fails, can you check it today?\nBest regards,"
        let signature = "\nGiuseppe Bianchi\nUfficio Amministrazione e Contabilità\nVia Garibaldi 3, Pescara\n"
            + "Questo messaggio è riservato e destinato esclusivamente al destinatario indicato."
        #expect(LanguageDetector.score(body + signature) == LanguageDetector.score(body))
        // A closing formula as the first line is content, not the end.
        let first = "Grazie\nma il problema si ripresenta ogni mattina"
        #expect(LanguageDetector.score(first).words == 8)
    }

    @Test("a copied English error inside an Italian sentence does not outweigh it")
    func quotedErrorWeighsLess() {
        let text = "Ricevo sempre l'errore \"you do not have access to this page\""
        #expect(LanguageDetector.detect(text)?.language == .it)
        let unquoted = LanguageDetector.score("Ricevo sempre l'errore").logOdds
        let quoted = LanguageDetector.score("you do not have access to this page").logOdds
        #expect(abs(LanguageDetector.score(text).logOdds - (unquoted + Prose.quotedWeight * quoted)) < 1e-9)
    }

    @Test("a reply header cuts the quoted original, in either language")
    func replyHeaders() {
        #expect(Prose.isReplyHeader("On Tue, 3 Jun 2025 at 09:00, Anna <anna@example.com> wrote:", next: nil))
        #expect(Prose.isReplyHeader("Il giorno mar 3 giu 2025 alle ore 09:00 Anna <anna@example.com> ha scritto:", next: nil))
        #expect(Prose.isReplyHeader("-----Original Message-----", next: nil))
        #expect(Prose.isReplyHeader("Da: Anna Neri", next: "Inviato: martedì 3 giugno 2025 09:00"))
        #expect(!Prose.isReplyHeader("Da: ieri il portale non risponde", next: "Grazie"))
        #expect(!Prose.isReplyHeader("On Monday the export failed again.", next: nil))
    }

    @Test("code and log lines are recognised, prose lines are not")
    func codeLines() {
        for line in [
            "    at com.example.Foo.bar(Foo.java:12)",
            "{\"error\": \"timeout\", \"code\": 504}",
            "2025-05-12 10:22:31 ERROR [main] Connection refused",
            "$ curl -X POST https://api.example.com/v1/upload",
            "SELECT * FROM fatture WHERE anno = 2025;",
            "if (x == null) { return; }",
        ] {
            #expect(Prose.looksLikeCode(line), "\(line)")
        }
        for line in [
            "Buongiorno, il portale non risponde (da stamattina).",
            "Select the invoice and click Export.",
            "Grazie (urgente)",
            "Update: the problem is back.",
        ] {
            #expect(!Prose.looksLikeCode(line), "\(line)")
        }
    }

    @Test("text in quotation marks counts a quarter")
    func quotationsWeighLess() {
        let segments = Prose.splitQuotations("Ottengo l'errore \"Access denied\" e «Riprova» ogni volta")
        #expect(segments.first == Prose.Segment(text: "Ottengo l'errore  e  ogni volta", weight: 1))
        #expect(segments.dropFirst().map(\.text) == ["Access denied", "Riprova"])
        #expect(segments.dropFirst().allSatisfy { $0.weight == Prose.quotedWeight })
        // An unmatched mark is plain text.
        #expect(Prose.splitQuotations("il pulsante \"Salva non va") == [Prose.Segment(text: "il pulsante  Salva non va", weight: 1)])
    }

    @Test("elisions count for Italian and contractions for English")
    func elisionsAndContractions() {
        let italian = Tokenizer.words(in: "l'utente dell'azienda c'è")
        #expect(italian.map(\.text) == ["l'", "utente", "dell'", "azienda", "c'", "e"])
        #expect(italian.filter { $0.marker > 0 }.count == 3)
        let english = Tokenizer.words(in: "I don't think it's there, I'm sure")
        #expect(english.filter { $0.marker < 0 }.map(\.text) == ["don", "it", "i_en"])
        // Sentence-initial "I" may be Italian ("I documenti"); inside a sentence it is English.
        #expect(Tokenizer.words(in: "I documenti").map(\.text) == ["documenti"])
        #expect(Tokenizer.words(in: "yes I know").map(\.text).contains("i_en"))
    }

    @Test("URLs, addresses, identifiers, numbers and acronyms are skipped")
    func skippedTokens() {
        for token in ["https://x.example.com", "www.example.com", "a@b.it", "C:\\temp", "config.yaml",
                      "user_id", "getInvoice", "ZenShare", "2025", "A81F", "PDF", "SDI"] {
            #expect(!Tokenizer.isProseToken(token), "\(token)")
        }
        for token in ["fattura", "Invoice", "URGENTE", "NON", "l'utente"] {
            #expect(Tokenizer.isProseToken(token), "\(token)")
        }
    }

    /// Phrases made only of words the detector has never seen: neither listed in the lexicon
    /// nor present in the reference prose. Only the character n-grams can decide them, so a
    /// `nil` is acceptable here; a wrong language is not.
    @Test("unseen content words are recognised by their spelling alone")
    func unseenWords() {
        let phrases: [(String, Language)] = [
            ("Cartelle condivise irraggiungibili", .it), ("Ricevute rimaste sospese", .it),
            ("Rallentamenti continui segnalati", .it), ("Bonifici respinti ripetutamente", .it),
            ("Etichette stampate storte", .it), ("Scontrini duplicati nuovamente", .it),
            ("Synchronization broken overnight", .en), ("Continuous slowdowns everywhere", .en),
            ("Shipments remained undelivered", .en), ("Wire transfers repeatedly bounced", .en),
            ("Labels printed crooked", .en), ("Duplicated vouchers reappeared", .en),
        ]
        let reference = Set(Tokenizer.words(in: ReferenceProse.italian + " " + ReferenceProse.italianWords + " "
            + ReferenceProse.english + " " + ReferenceProse.englishWords).map(\.text))
        var right = 0
        for (text, language) in phrases {
            for word in Tokenizer.words(in: text) {
                #expect(Lexicon.weights[word.text] == nil && !reference.contains(word.text), "\(word.text) is known")
            }
            let detected = LanguageDetector.detect(text)?.language
            #expect(detected == nil || detected == language, "\(text) → \(String(describing: detected))")
            if detected == language { right += 1 }
        }
        #expect(right >= 10, "\(right)/\(phrases.count)")
    }

    @Test("the n-gram models prefer each language's own spelling")
    func nGramModel() {
        let model = NGramModel.shared
        for word in ["funzionalita", "registrazione", "chiaramente", "spedizioni", "sincronizzazione"] {
            #expect(model.meanLogRatio(word) > 0, "\(word)")
        }
        for word in ["working", "throughout", "thoughtfully", "scheduled", "knowledge"] {
            #expect(model.meanLogRatio(word) < 0, "\(word)")
        }
    }
}

@Suite("LanguageDetector on long messages")
struct LanguageDetectorLengthTests {
    @Test("only the start of a long message is read: an Italian opening decides, whatever follows")
    func readsTheStartOnly() {
        let italian = String(repeating: "Buongiorno, non riusciamo ad accedere al portale dalla mattina. ", count: 80)
        let english = String(repeating: "Hello, we cannot log in to the portal since this morning at all. ", count: 4000)
        #expect(italian.count > LanguageDetector.maximumCharacters)
        #expect(LanguageDetector.detect(italian + english)?.language == .it)
        #expect(LanguageDetector.detect(english + italian)?.language == .en)
    }
}
