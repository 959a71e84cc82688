import Foundation

/// Which parts of the MIME tree are the readable body and which are attachments.
enum BodySelection {
    static func isAttachmentDisposition(_ part: MailPart) -> Bool {
        part.disposition.value == "attachment"
    }

    /// A text leaf that is part of the body: text/plain or text/html, not marked as attachment.
    /// A text part with a filename but inline disposition still counts as body (Apple Mail).
    static func isBodyText(_ part: MailPart) -> Bool {
        guard !part.isMultipart, !part.isEmbeddedMessage, !isAttachmentDisposition(part) else { return false }
        if part.mimeType == "text/plain" || part.mimeType == "text/html" {
            return part.disposition.value == "inline" || part.filename == nil
        }
        return false
    }

    /// The readable text of an entity (nil when it has none).
    static func text(of part: MailPart) -> (text: String, fromHTML: Bool)? {
        if part.isMultipart {
            let children = part.children
            switch part.mimeType {
            case "multipart/alternative":
                // RFC 2046 §5.1.4 orders alternatives by preference; we prefer plain text
                // (what agents quote and search), the last plain one, else the last one at all.
                let readings = children.compactMap { text(of: $0) }
                if let plain = readings.last(where: { !$0.fromHTML && !$0.text.isAllWhitespace }) {
                    return plain
                }
                return readings.last
            case "multipart/related":
                // RFC 2387 §3.1: the root is the `start` part, else the first.
                let start = part.contentType["start"].map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "<> ")) }
                let root = children.first { child in
                    start != nil && child.headers["Content-ID"]?.trimmingCharacters(in: CharacterSet(charactersIn: "<> ")) == start
                } ?? children.first
                return root.flatMap { text(of: $0) }
            case "multipart/report", "multipart/signed", "multipart/encrypted":
                // RFC 6522 §3: the first part is the human-readable one; RFC 1847: first is the content.
                return children.first.flatMap { text(of: $0) }
            default:
                // multipart/mixed and unknown subtypes (RFC 2046 §5.1.7: treat as mixed): join the
                // inline text in order (Apple Mail splits text around inline images).
                let readings = children.filter { !isAttachmentDisposition($0) && !$0.isEmbeddedMessage }.compactMap { text(of: $0) }
                guard !readings.isEmpty else { return nil }
                let joined = readings.map { $0.text.trimmingNewlines() }.filter { !$0.isEmpty }.joined(separator: "\n\n")
                return (joined, readings.allSatisfy(\.fromHTML))
            }
        }
        guard isBodyText(part) else { return nil }
        if part.mimeType == "text/html" { return (HTMLText.toText(part.text), true) }
        return (part.text, false)
    }

    static func html(of part: MailPart) -> String? {
        if part.isMultipart {
            for child in part.children where !child.isEmbeddedMessage {
                if let found = html(of: child) { return found }
            }
            return nil
        }
        return part.mimeType == "text/html" && isBodyText(part) ? part.text : nil
    }


    static func attachments(of root: MailPart) -> [MailAttachment] {
        var result: [MailAttachment] = []
        var counter = 0
        func walk(_ part: MailPart, insideRelated: Bool) {
            if part.isMultipart {
                let related = part.mimeType == "multipart/related"
                for child in part.children { walk(child, insideRelated: related) }
                return
            }
            counter += 1
            if part.isEmbeddedMessage {
                let inner = part.children.first.map { MailMessage(root: $0, defects: []) }
                let subject = inner?.subject ?? ""
                let name = part.filename ?? (subject.isEmpty ? "message-\(counter).eml" : sanitize(subject) + ".eml")
                result.append(MailAttachment(filename: name, contentType: part.mimeType, bytes: part.embeddedBytes,
                                             contentID: contentID(part), isInline: false))
                return
            }
            if isBodyText(part) { return }
            let name = part.filename ?? "part-\(counter)." + defaultExtension(part.mimeType)
            result.append(MailAttachment(filename: name, contentType: part.mimeType, bytes: part.body,
                                         contentID: contentID(part),
                                         isInline: part.disposition.value == "inline" || (insideRelated && part.disposition.value.isEmpty)))
        }
        if root.isEmbeddedMessage || root.isMultipart { walk(root, insideRelated: false) }
        else if !isBodyText(root) { walk(root, insideRelated: false) }
        return result
    }

    static func contentID(_ part: MailPart) -> String? {
        part.headers["Content-ID"].map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "<> \t")) }
    }

    static func sanitize(_ name: String) -> String {
        let cleaned = name.map { "/\\:*?\"<>|".contains($0) ? "_" : $0 }
        return String(String(cleaned).prefix(100))
    }

    static func defaultExtension(_ type: String) -> String {
        switch type {
        case "text/plain": return "txt"
        case "text/html": return "html"
        case "image/png": return "png"
        case "image/jpeg": return "jpg"
        case "image/gif": return "gif"
        case "application/pdf": return "pdf"
        case "message/delivery-status": return "txt"
        case "text/rfc822-headers": return "txt"
        default: return "bin"
        }
    }
}
