// SportelloMail: the email channel's pure part. Bytes in, values out; values in, bytes out.
// No I/O, no clock, no randomness: dates and unique tokens are given by the caller.
//
// Reading:   `MailMessage(bytes:)` parses RFC 5322 + MIME (RFC 2045–2047, 2183, 2231) within
//            `MailLimits`; `message.text`, `.attachments`, `.reply` (new text vs quoted part).
// Signals:   `MailSignals` — auto-replies (RFC 3834), bounces (RFC 3464/6522), mailing lists
//            (RFC 2919), threading ids (RFC 5322 §3.6.4); `SubjectTag` — `[Sportello #123]`.
// Writing:   `MailComposer.compose(_:)` turns an `OutgoingMail` into CRLF bytes ready for
//            sendmail or a Maildir.
//
// Nothing here throws: a broken message gives the best reading possible and `defects`.
