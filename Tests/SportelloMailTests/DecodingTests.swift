import Foundation
import Testing
import SportelloMail

@Suite struct HeaderTests {
    @Test func foldedRepeatedAndCaseInsensitive() {
        let raw = "SUBJECT: a long\r\n subject\r\n\tline\r\nReceived: one\r\nreceived: two\r\n\r\nbody"
        let m = MailMessage(bytes: raw.bytes)
        #expect(m.headers["subject"] == "a long subject\tline")
        #expect(m.headers.values("Received") == ["one", "two"])
        #expect(m.subject == "a long subject\tline")
        #expect(m.text == "body")
    }

    @Test func bareLineFeedsAndNoBlankLineBeforeBody() {
        let m = MailMessage(bytes: "Subject: hi\nThis line is body text\nmore\n".bytes)
        #expect(m.subject == "hi")
        #expect(m.text == "This line is body text\nmore\n")
    }

    @Test func headersOnlyTruncatedMessage() {
        let m = MailMessage(bytes: "From: a@b.it\r\nSubject: =?utf-8?Q?caff=C3=A8?=\r\nTo: c@d".bytes)
        #expect(m.subject == "caffè")
        #expect(m.to.first?.address == "c@d")
        #expect(m.text == "")
    }
}

@Suite struct EncodedWordTests {
    @Test func bAndQInAnyCharset() {
        #expect(EncodedWords.decode("=?UTF-8?B?UGVyY2jDqSDigqw=?=") == "Perché €")
        #expect(EncodedWords.decode("=?iso-8859-15?Q?Costo_=A4_10?=") == "Costo € 10")
        #expect(EncodedWords.decode("=?windows-1252?Q?=93ciao=94?=") == "“ciao”")
        #expect(EncodedWords.decode("=?utf-8*it?q?perch=C3=A9?=") == "perché")
    }

    @Test func adjacentWordsJoinedButTextBlanksKept() {
        #expect(EncodedWords.decode("=?utf-8?Q?a?= =?utf-8?Q?b?=") == "ab")
        #expect(EncodedWords.decode("=?utf-8?Q?a?=\t =?iso-8859-1?Q?=E8?=") == "aè")
        #expect(EncodedWords.decode("Re: =?utf-8?Q?caff=C3=A8?= subito") == "Re: caffè subito")
        #expect(EncodedWords.decode("=?utf-8?Q?a_?= b") == "a  b")
    }

    @Test func malformedWordsStayAsTheyAre() {
        #expect(EncodedWords.decode("=?utf-8?X?abc?=") == "=?utf-8?X?abc?=")
        #expect(EncodedWords.decode("=?utf-8?Q?unterminated") == "=?utf-8?Q?unterminated")
        #expect(EncodedWords.decode("prezzo =? 10") == "prezzo =? 10")
        // Unknown charset: decoded best-effort, not dropped.
        #expect(EncodedWords.decode("=?x-unknown?Q?ciao?=") == "ciao")
    }
}

@Suite struct AddressTests {
    @Test func namesGroupsCommentsAndQuotes() {
        let list = MailAddress.parseList(#""Rossi, Mario" <mario@x.it>, anna@y.it (Anna B.), Team: a@t.it, <b@t.it>;, =?utf-8?Q?Nicol=C3=B2?= <n@z.it>"#)
        #expect(list == [
            MailAddress(name: "Rossi, Mario", address: "mario@x.it"),
            MailAddress(name: "Anna B.", address: "anna@y.it"),
            MailAddress(name: nil, address: "a@t.it", group: "Team"),
            MailAddress(name: nil, address: "b@t.it", group: "Team"),
            MailAddress(name: "Nicolò", address: "n@z.it"),
        ])
        #expect(MailAddress.parseList(#""=?utf-8?B?R2l1bGlhIEJpYW5jaGk=?=" <g@b.it>"#).first?.name == "Giulia Bianchi")
        #expect(MailAddress.parseList("<@relay.it:route@x.it>").first?.address == "route@x.it")
        #expect(MailAddress.parseList(#""Escaped \"quote\"" <e@x.it>"#).first?.name == #"Escaped "quote""#)
        #expect(MailAddress.parseList("").isEmpty)
        #expect(MailAddress(address: "Mario@Example.IT").domain == "example.it")
    }
}

@Suite struct ParameterTests {
    @Test func rfc2231ExtendedAndContinued() {
        let single = HeaderParameters.parse("attachment; filename*=utf-8''fattura_perch%C3%A9.pdf")
        #expect(single.value == "attachment")
        #expect(single["filename"] == "fattura_perch\u{E9}.pdf")
        let continued = HeaderParameters.parse("attachment; filename*1*=%C3%A8.pdf; filename*0*=iso-8859-1'it'caff%E8_; filename=\"fallback.pdf\"")
        // Segment 1 is UTF-8 bytes declared as latin-1 by segment 0: decoded as the first segment says.
        #expect(continued["filename"] == "caffè_Ã¨.pdf")
        let plain = HeaderParameters.parse("Text/Plain; Charset=\"ISO-8859-1\"; name=\"a;b.txt\"; format=flowed")
        #expect(plain.value == "text/plain")
        #expect(plain["charset"] == "ISO-8859-1")
        #expect(plain["name"] == "a;b.txt")
        #expect(plain["format"] == "flowed")
        #expect(HeaderParameters.parse("inline; filename=\"=?UTF-8?B?cGVyY2jDqS5wZGY=?=\"")["filename"] == "perché.pdf")
    }
}

@Suite struct TransferEncodingTests {
    @Test func quotedPrintableSoftBreaksAndPadding() {
        #expect(TransferEncoding.decodeQuotedPrintable("perch=C3=A9 la ri=\r\nga   \r\nnuova=\nx=".bytes) == "perché la riga\r\nnuovax".bytes)
        #expect(TransferEncoding.decodeQuotedPrintable("50=25 =ZZ =".bytes) == "50% =ZZ ".bytes)
    }

    @Test func base64TolerantOfWhitespaceAndBadPadding() {
        #expect(TransferEncoding.decodeBase64("Y2lh\r\n bw".bytes) == "ciao".bytes)
        #expect(TransferEncoding.decodeBase64("Y2lhbw===".bytes) == "ciao".bytes)
        #expect(TransferEncoding.decodeBase64("Y2lhbw=\n=!!".bytes) == "ciao".bytes)
        #expect(TransferEncoding.decodeBase64("Y2lhbyE".bytes) == "ciao!".bytes)
    }

    @Test func quotedPrintableEncodingKeepsLinesShort() {
        let text = String(repeating: "è", count: 60) + "\nFrom here \n=fine"
        let encoded = TransferEncoding.encodeQuotedPrintable(text)
        let lines = String(decoding: encoded, as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.count <= 76 })
        #expect(lines.contains("=46rom here=20"))
        #expect(String(decoding: TransferEncoding.decodeQuotedPrintable(encoded), as: UTF8.self) == text.replacingOccurrences(of: "\n", with: "\r\n"))
    }
}

@Suite struct FlowedTextTests {
    @Test func flowedLinesJoinPerQuoteDepth() {
        let raw = "Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\n\r\n"
            + "Una riga che conti \r\nnua.\r\n> citazione \r\n> lunga\r\n>> altra\r\n>\r\n From stuffed\r\n-- \r\nfirma\r\n"
        #expect(MailMessage(bytes: raw.bytes).text == "Una riga che continua.\n> citazionelunga\n>> altra\n>\nFrom stuffed\n-- \nfirma\n")
    }
}

@Suite struct CharsetTests {
    @Test func declaredCharsets() {
        #expect(MailCharset.decode([0x80, 0x93, 0x94], charset: "windows-1252") == "€“”")
        #expect(MailCharset.decode([0xA4, 0xE8], charset: "ISO-8859-15") == "€è")
        #expect(MailCharset.decode([0xA4, 0xE8], charset: "iso-8859-1") == "¤è")
        #expect(MailCharset.decode(Array("più".utf8), charset: "UTF-8") == "più")
        #expect(MailCharset.decode(Array("plain".utf8), charset: "us-ascii") == "plain")
        #expect(MailCharset.decode([0xA4], charset: "\"ISO-8859-15\" (Latin 9)") == "€")
        #expect(MailCharset.decode([0xFF, 0xFE, 0x41, 0x00, 0xE8, 0x00], charset: "utf-16") == "Aè")
    }

    @Test func unknownOrLyingCharsetsNeverFail() {
        // Declared UTF-8, sent as Latin-1.
        #expect(MailCharset.decode([0x70, 0x69, 0xF9], charset: "utf-8") == "più")
        // Mostly UTF-8 with one broken byte: the UTF-8 survives, the byte becomes U+FFFD.
        #expect(MailCharset.decode(Array("perché più è".utf8) + [0xFF], charset: "utf-8") == "perché più è\u{FFFD}")
        #expect(MailCharset.decode(Array("caffè".utf8), charset: "x-klingon") == "caffè")
        #expect(MailCharset.decode([0x63, 0xE8], charset: nil) == "cè")
        // UTF-8 sent under a Latin-1 label reads as UTF-8, not as "perchÃ©".
        #expect(MailCharset.decode(Array("perché".utf8), charset: "iso-8859-1") == "perché")
        #expect(MailCharset.decode(Array("1 €".utf8), charset: "iso-8859-15") == "1 €")
        // 8-bit bytes under a US-ASCII label.
        #expect(MailCharset.decode([0x63, 0xE8], charset: "us-ascii") == "cè")
    }
}

@Suite struct HTMLTextTests {
    @Test func blocksEntitiesAndQuotes() {
        let html = "<p>Uno&nbsp;&amp;&nbsp;due</p><blockquote><p>citato<br>riga</p></blockquote><p>&lt;fine&gt; &#233;&#xE8; &unknown;</p>"
        #expect(HTMLText.toText(html) == "Uno & due\n\n> citato\n> riga\n\n<fine> éè &unknown;")
        #expect(HTMLText.toText("<SCRIPT type=x>var a = '<p>';</SCRIPT><Style>p{}</Style>ok") == "ok")
        #expect(HTMLText.toText("<pre>a  b\n  c</pre>") == "a  b\n  c")
        #expect(HTMLText.toText("<table><tr><td>a</td><td>b</td></tr></table>") == "a b")
    }

    @Test func gmailHTMLReplyStillSeparatesTheQuote() {
        let html = #"<div dir="ltr"><div>Grazie,</div><div>funziona.</div><div><br></div></div><br><div class="gmail_quote">"#
            + #"<div dir="ltr" class="gmail_attr">Il giorno lun 30 nov 2026 alle ore 17:02 Supporto &lt;<a href="mailto:s@x.it">s@x.it</a>&gt; ha scritto:<br></div>"#
            + #"<blockquote class="gmail_quote">Provi ora.<br>Saluti</blockquote></div>"#
        let parts = ReplySeparator.split(HTMLText.toText(html))
        #expect(parts.newText == "Grazie,\nfunziona.")
        #expect(parts.quoted == "Il giorno lun 30 nov 2026 alle ore 17:02 Supporto <s@x.it> ha scritto:\n\n> Provi ora.\n> Saluti")
    }
}
