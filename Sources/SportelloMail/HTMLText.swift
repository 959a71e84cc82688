import Foundation

/// HTML to readable plain text, for HTML-only mail. Not a renderer: paragraphs are separated by
/// a blank line, `<div>`, `<br>` and other block elements start a line, list items get "- ", `<blockquote>` lines get "> " (so reply separation still finds
/// the quote), links keep their address, scripts, styles and comments vanish, and character
/// references (HTML §13.5, named and numeric) are decoded.
public enum HTMLText {
    /// Elements that separate paragraphs: a blank line around them.
    static let paragraphElements: Set<String> = [
        "p", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "dl", "figure",
    ]
    /// Elements that only start a new line (Gmail and Outlook write one `<div>` per line).
    static let lineElements: Set<String> = [
        "div", "li", "tr", "section", "article", "header", "footer", "address", "dt", "dd",
        "form", "fieldset", "main", "nav", "aside", "tbody", "thead", "tfoot", "center",
    ]
    /// `> ` marks written for nested `<blockquote>`s at most: real threads rarely quote deeper,
    /// reply separation needs only the first, and each mark repeats on every line.
    static let maxQuoteMarks = 10
    static let skippedElements: Set<String> = ["script", "style", "head", "title", "template", "noscript", "xml"]

    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ",
        "agrave": "à", "aacute": "á", "egrave": "è", "eacute": "é", "igrave": "ì", "iacute": "í",
        "ograve": "ò", "oacute": "ó", "ugrave": "ù", "uacute": "ú", "Agrave": "À", "Egrave": "È",
        "Eacute": "É", "Igrave": "Ì", "Ograve": "Ò", "Ugrave": "Ù", "ccedil": "ç", "ntilde": "ñ",
        "auml": "ä", "ouml": "ö", "uuml": "ü", "Auml": "Ä", "Ouml": "Ö", "Uuml": "Ü", "szlig": "ß",
        "euro": "€", "pound": "£", "yen": "¥", "cent": "¢", "copy": "©", "reg": "®", "trade": "™",
        "laquo": "«", "raquo": "»", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”",
        "sbquo": "‚", "bdquo": "„", "hellip": "…", "mdash": "—", "ndash": "–", "bull": "•",
        "middot": "·", "deg": "°", "sect": "§", "para": "¶", "times": "×", "divide": "÷",
        "plusmn": "±", "iexcl": "¡", "iquest": "¿", "ordf": "ª", "ordm": "º", "shy": "",
        "zwnj": "", "zwj": "", "ensp": " ", "emsp": " ", "thinsp": " ",
    ]

    /// Converts an HTML document or fragment to text with `\n` line breaks.
    public static func toText(_ html: String) -> String {
        let s = Array(html.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        var quoteDepth = 0
        var preDepth = 0
        var atLineStart = true
        var pendingSpace = false
        var pendingHref: String? = nil
        var linkText = ""

        var trailingNewlines = 0
        var wroteText = false
        func newline() {
            // Keep at most one blank line, none at the start.
            guard wroteText, trailingNewlines < 2 else { return }
            out.append("\n"); trailingNewlines += 1; atLineStart = true; pendingSpace = false
        }
        func startLine() { if trailingNewlines == 0 { newline() } }
        func paragraph() { startLine(); newline() }
        func emit(_ text: String) {
            for scalar in text.unicodeScalars {
                if preDepth == 0 && (scalar == " " || scalar == "\n" || scalar == "\t" || scalar == "\r") {
                    if !atLineStart { pendingSpace = true }
                    continue
                }
                if preDepth > 0 && scalar == "\n" { out.append("\n"); trailingNewlines += 1; atLineStart = true; continue }
                if atLineStart {
                    // Scalar by scalar: UnicodeScalarView.append(contentsOf:) rebuilds the whole
                    // string, which made deep quotes quadratic. At most `maxQuoteMarks` marks, so
                    // that the text stays proportional to the HTML whatever the nesting.
                    for _ in 0..<min(quoteDepth, maxQuoteMarks) { out.append(">"); out.append(" ") }
                    atLineStart = false; pendingSpace = false
                }
                if pendingSpace { out.append(" "); pendingSpace = false }
                out.append(scalar); trailingNewlines = 0; wroteText = true
                if pendingHref != nil { linkText.unicodeScalars.append(scalar) }
            }
        }

        while i < s.count {
            let c = s[i]
            if c == "<" {
                // Comment
                if i + 3 < s.count, s[i + 1] == "!", s[i + 2] == "-", s[i + 3] == "-" {
                    var j = i + 4
                    while j + 2 < s.count, !(s[j] == "-" && s[j + 1] == "-" && s[j + 2] == ">") { j += 1 }
                    i = min(s.count, j + 3); continue
                }
                // Tag: read to the closing '>' outside quotes.
                var j = i + 1
                var quote: Unicode.Scalar? = nil
                while j < s.count {
                    let d = s[j]
                    if let q = quote { if d == q { quote = nil } }
                    else if d == "\"" || d == "'" { quote = d }
                    else if d == ">" { break }
                    j += 1
                }
                let tag = String(String.UnicodeScalarView(s[(i + 1)..<min(j, s.count)]))
                i = min(s.count, j + 1)
                let closing = tag.hasPrefix("/")
                let name = String(tag.drop(while: { $0 == "/" }).prefix(while: { $0.isLetter || $0.isNumber })).lowercased()
                if name.isEmpty {
                    if !tag.hasPrefix("!") && !tag.hasPrefix("?") { emit("<" + tag + ">") }
                    continue
                }
                if skippedElements.contains(name) && !closing && !tag.hasSuffix("/") {
                    // Skip to the matching end tag.
                    let end = Array("</\(name)".unicodeScalars)
                    var k = i
                    while k < s.count {
                        if s[k] == "<", k + end.count <= s.count,
                           String(String.UnicodeScalarView(s[k..<(k + end.count)])).lowercased() == "</\(name)" { break }
                        k += 1
                    }
                    while k < s.count, s[k] != ">" { k += 1 }
                    i = min(s.count, k + 1)
                    continue
                }
                switch name {
                case "br": if wroteText { out.append("\n"); trailingNewlines += 1; atLineStart = true; pendingSpace = false }
                case "li": startLine(); if !closing { emit("- ") }
                case "blockquote": paragraph(); quoteDepth = max(0, quoteDepth + (closing ? -1 : 1))
                case "pre": paragraph(); preDepth = max(0, preDepth + (closing ? -1 : 1))
                case "td", "th": if !closing { pendingSpace = true; if !atLineStart { emit(" ") } }
                case "a":
                    if closing {
                        if let href = pendingHref, href.hasPrefix("http"), linkText.trimmingBlanks() != href {
                            emit(" <\(href)>")
                        }
                        pendingHref = nil
                    } else {
                        pendingHref = attribute("href", in: tag).map(decodeEntities); linkText = ""
                    }
                case "img":
                    if let alt = attribute("alt", in: tag), !alt.isEmpty { emit("[\(decodeEntities(alt))]") }
                default:
                    if paragraphElements.contains(name) { paragraph() } else if lineElements.contains(name) { startLine() }
                }
                continue
            }
            // Text up to the next tag.
            var j = i
            while j < s.count, s[j] != "<" { j += 1 }
            emit(decodeEntities(String(String.UnicodeScalarView(s[i..<j]))))
            i = j
        }
        // Trim blanks at line ends and extra blank lines.
        let lines = String(out).split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(line.reversed().drop(while: { $0 == " " }).reversed())
        }
        var result: [String] = []
        for line in lines {
            if line.isEmpty && (result.last?.isEmpty ?? true) { continue }
            result.append(line)
        }
        while result.last?.isEmpty == true { result.removeLast() }
        return result.joined(separator: "\n")
    }

    static func attribute(_ name: String, in tag: String) -> String? {
        let lower = tag.lowercased()
        guard let range = lower.range(of: name + "=") else { return nil }
        let offset = lower.distance(from: lower.startIndex, to: range.upperBound)
        let rest = tag.dropFirst(offset)
        if let q = rest.first, q == "\"" || q == "'" {
            return String(rest.dropFirst().prefix { $0 != q })
        }
        return String(rest.prefix { $0 != " " && $0 != ">" })
    }

    /// Decodes `&name;`, `&#123;` and `&#x1F600;` (HTML §13.5); unknown references stay as they are.
    public static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            let candidate = after.prefix(12)
            if let semi = candidate.firstIndex(of: ";") {
                let name = String(after[..<semi])
                var replacement: String? = nil
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    replacement = UInt32(name.dropFirst(2), radix: 16).map(scalarText)
                } else if name.hasPrefix("#") {
                    replacement = UInt32(name.dropFirst(1)).map(scalarText)
                } else {
                    replacement = namedEntities[name] ?? namedEntities[name.lowercased()]
                }
                if let replacement {
                    out += replacement
                    rest = after[after.index(after: semi)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        out += rest
        return out
    }

    static func scalarText(_ value: UInt32) -> String {
        // HTML §13.2.5.80: NUL, surrogates and out-of-range code points become U+FFFD;
        // 0x80–0x9F are read as Windows-1252.
        if value >= 0x80 && value <= 0x9F {
            let mapped = MailCharset.windows1252High[Int(value - 0x80)]
            if mapped != 0, let scalar = Unicode.Scalar(mapped) { return String(scalar) }
        }
        guard value != 0, let scalar = Unicode.Scalar(value) else { return "\u{FFFD}" }
        return String(scalar)
    }
}
