import SportelloDomain
import Testing

/// Mail in's rules: which messages are only recorded, and where a reply goes.
@Suite struct MailIntakeTests {
    @Test("the first rule that applies names the reason: a repeat before a bounce, a bounce before an auto-reply (a DSN is usually also Auto-Submitted)")
    func screening() {
        #expect(MailIntake.screen(.init()) == nil)
        #expect(MailIntake.screen(.init(alreadyIngested: true, isBounce: true)) == .duplicate)
        #expect(MailIntake.screen(.init(isBounce: true, isAutoReply: true)) == .bounce)
        #expect(MailIntake.screen(.init(carriesOurLoopMarker: true, isAutoReply: true)) == .loop)
        #expect(MailIntake.screen(.init(fromOurSupportAddress: true)) == .loop)
        #expect(MailIntake.screen(.init(isAutoReply: true, isBulk: true)) == .autoReply)
        #expect(MailIntake.screen(.init(isBulk: true)) == .bulk)
        // 20 messages already in the window: this one is the 21st, refused; the 20th passed.
        #expect(MailIntake.screen(.init(recentFromSender: 19)) == nil)
        #expect(MailIntake.screen(.init(recentFromSender: 20)) == .tooManyFromSender)
        #expect(MailIntake.screen(.init(hasSender: false)) == .unknownSender)
    }

    @Test("a reply joins a ticket only when its sender may write on it; a closed ticket gets a follow-up")
    func placement() {
        let open = TicketState(status: .assigned, reporterContact: 7, customer: 1)
        let candidate = MailIntake.Candidate(ticket: 42, state: open, senderAddress: nil)
        #expect(MailIntake.place(sender: .contact(id: 7, customer: 1), address: "a@x.it", candidate: candidate) == .append(ticket: 42))
        #expect(MailIntake.place(sender: .contact(id: 8, customer: 1), address: "b@x.it", candidate: candidate) == .append(ticket: 42),
                "a colleague of the same company")
        #expect(MailIntake.place(sender: .contact(id: 9, customer: 2), address: "c@y.it", candidate: candidate) == .open,
                "another company's contact")
        #expect(MailIntake.place(sender: .domainOf(customer: 1), address: "d@x.it", candidate: candidate) == .open,
                "an address that is no contact's writes only on the ticket it opened")
        #expect(MailIntake.place(sender: .contact(id: 7, customer: 1), address: "a@x.it", candidate: nil) == .open)

        let vulnerability = TicketState(status: .assigned, classification: .vulnerability, reporterContact: 7, customer: 1)
        let restricted = MailIntake.Candidate(ticket: 43, state: vulnerability, senderAddress: nil)
        #expect(MailIntake.place(sender: .contact(id: 8, customer: 1), address: "b@x.it", candidate: restricted) == .open,
                "a vulnerability is its reporter's only")

        let mailTicket = MailIntake.Candidate(ticket: 44, state: TicketState(status: .new, customer: 1), senderAddress: "d@x.it")
        #expect(MailIntake.place(sender: .domainOf(customer: 1), address: "D@X.it", candidate: mailTicket) == .append(ticket: 44))
        #expect(MailIntake.place(sender: .unknown, address: "e@z.it", candidate: mailTicket) == .open)

        let closed = MailIntake.Candidate(ticket: 45, state: TicketState(status: .closed, reporterContact: 7, customer: 1), senderAddress: nil)
        #expect(MailIntake.place(sender: .contact(id: 7, customer: 1), address: "a@x.it", candidate: closed) == .followUp(of: 45))
    }

    @Test("a customer's mail answering a clarification resumes the ticket, as a contact's message does")
    func customerMailResumes() throws {
        let waiting = TicketState(status: .waitingCustomer, classification: .bug, assignee: 3, customer: 1)
        let decision = try TicketWorkflow.customerMailMessage(waiting, text: "Ecco il log.").get()
        #expect(decision.state.status == .assigned)
        #expect(decision.events.contains(.clockResumed))
        #expect(throws: WorkflowError.self) { try TicketWorkflow.customerMailMessage(waiting, text: "  ").get() }
    }
}
