// libFuzzer target for SportelloMail: the bytes are a mail as it arrives from the gateway.
// Built by `make fuzz` with swiftc from the library's sources (not a SwiftPM target, so
// `swift build` ignores it). It reads everything a support agent's view reads, so the lazy
// paths (text selection, HTML to text, reply separation, attachments, signals) run too.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    let message = MailMessage(bytes: bytes)
    var sink = message.subject.utf8.count + message.defects.count
    sink &+= message.from.count + message.to.count + message.cc.count + message.replyTo.count
    sink &+= message.sender == nil ? 0 : 1
    sink &+= message.date?.utf8.count ?? 0
    sink &+= message.sentAt == nil ? 0 : 1
    sink &+= message.text.utf8.count + (message.textIsFromHTML ? 1 : 0)
    sink &+= message.html?.utf8.count ?? 0
    let reply = message.reply
    sink &+= reply.newText.utf8.count + reply.quoted.utf8.count + (reply.signature?.utf8.count ?? 0)
    for attachment in message.attachments {
        sink &+= attachment.filename.utf8.count + attachment.contentType.utf8.count + attachment.size
        sink &+= attachment.contentID?.utf8.count ?? 0
    }
    for inner in message.embeddedMessages {
        sink &+= inner.subject.utf8.count + inner.text.utf8.count + inner.attachments.count
        sink &+= inner.reply.newText.utf8.count
    }
    sink &+= message.autoReplyReason == nil ? 0 : 1
    sink &+= message.isBounce ? 1 : 0
    sink &+= message.listID?.utf8.count ?? 0
    sink &+= MailSignals.deliveryStatuses(message).count
    sink &+= MailSignals.bouncedMessageID(message)?.utf8.count ?? 0
    sink &+= MailSignals.hasLoopMarker(message.headers, marker: "support@example.it") ? 1 : 0
    let keys = message.threadKeys
    sink &+= keys.ancestors.count + (keys.messageID?.utf8.count ?? 0) + keys.normalizedSubject.utf8.count
    sink &+= Int(truncatingIfNeeded: keys.ticketNumber ?? 0)
    // Keep the reads from being optimised away.
    if sink == Int.min { print(sink) }
    return 0
}
