import Foundation
import Testing
@testable import SportelloDomain

// The expected decisions are written out by hand from docs/product.md §2 and §3 below; the tests compare
// the workflow against this table, never against itself.

private let customer: Int64 = 10
private let reporter: Int64 = 100
private let assignee: Int64 = 7

/// Named ticket fixtures: one or more per status.
private let fixtures: [String: TicketState] = [
    "N": TicketState(status: .new, reporterContact: reporter, customer: customer),
    "CH": TicketState(status: .inCharge, classification: .helpDesk, reporterContact: reporter, customer: customer),
    "CO": TicketState(status: .inCharge, classification: .outOfScope, reporterContact: reporter, customer: customer),
    "AB": TicketState(status: .assigned, classification: .bug, assignee: assignee, reporterContact: reporter, customer: customer),
    "WB": TicketState(status: .waitingCustomer, classification: .bug, assignee: assignee, reporterContact: reporter, customer: customer),
    "AV": TicketState(status: .assigned, classification: .vulnerability, assignee: assignee, reporterContact: reporter, customer: customer),
    "Q": TicketState(status: .quoted, classification: .evolutionaryChange, assignee: assignee, reporterContact: reporter, customer: customer),
    "P": TicketState(status: .awaitingPackage, classification: .invoicedIntervention, reporterContact: reporter, customer: customer),
    "AH": TicketState(status: .assigned, classification: .helpDesk, assignee: assignee, reporterContact: reporter, customer: customer),
    "X": TicketState(status: .closed, classification: .bug, assignee: assignee, reporterContact: reporter, customer: customer),
]

private let principals: [String: Principal] = [
    "SYS": .system,
    "ADM": .staff(id: 1, role: .admin),
    "CM": .staff(id: 2, role: .careManager),
    "OPA": .staff(id: assignee, role: .operator),  // the assignee of AB, WB, AV, Q, AH, X
    "OPX": .staff(id: 8, role: .operator),  // assigned to nothing here
    "CR": .contact(id: reporter, customer: customer),  // the reporting contact
    "CC": .contact(id: 101, customer: customer),  // a colleague at the same company
    "CF": .contact(id: 200, customer: 20),  // another company's contact
]

/// The table's columns, in order.
private let commands: [(code: String, command: TicketCommand)] = [
    ("TC", .takeCharge(classification: .bug, priority: 2, assignee: assignee)),
    ("TH", .takeCharge(classification: .helpDesk, priority: 3, assignee: nil)),
    ("AS", .assign(assignee: 9)),
    ("SP", .setPriority(1)),
    ("RC", .requestClarification(text: "Which browser do you use?")),
    ("MP", .addMessage(text: "Any news?", internal: false)),
    ("MI", .addMessage(text: "Checked the logs, nothing yet.", internal: true)),
    ("CL", .close(text: "Fixed in release 4.2.")),
    ("SQ", .sendQuote),
    ("AQ", .acceptQuote(packageCoversEstimate: true)),
    ("RQ", .rejectQuote),
    ("PO", .packageOrdered),
]

/// Outcome per column: a status letter when accepted (n new, c inCharge, a assigned,
/// w waitingCustomer, q quoted, p awaitingPackage, x closed); N not allowed (-32005);
/// F forbidden (-32002); I invalid (-32602).
///                       TC TH AS SP RC MP MI CL SQ AQ RQ PO
private let table: [(state: String, principals: String, outcomes: String)] = [
    ("N", "SYS ADM CM", "a c N n N n n N N N N N"),
    ("CH", "SYS ADM CM", "N N c c N c c N q N N N"),
    ("CO", "SYS ADM CM", "N N c c N c c x N N N N"),
    ("AB", "SYS ADM CM", "N N a a w a a x N N N N"),
    ("WB", "SYS ADM CM", "N N w w N w w x N N N N"),
    ("AV", "SYS ADM CM", "N N a a w a a x N N N N"),
    ("Q", "SYS ADM CM", "N N N q N q q N N a c N"),
    ("P", "SYS ADM CM", "N N N p N p p N N N N a"),
    ("AH", "SYS ADM CM", "N N a a w a a x N N N N"),
    ("X", "SYS ADM CM", "N N N N N N N N N N N N"),

    // Operators act only on tickets assigned to them (docs/product.md §2); on those they ask for
    // clarification, write messages and close bugs and paid work — not vulnerabilities.
    ("N", "OPA", "F F F F F F F F F F F F"),
    ("CH", "OPA", "F F F F F F F F F F F F"),
    ("CO", "OPA", "F F F F F F F F F F F F"),
    ("AB", "OPA", "F F F F w a a x F F F F"),
    ("WB", "OPA", "F F F F N w w x F F F F"),
    ("AV", "OPA", "F F F F w a a F F F F F"),
    ("Q", "OPA", "F F F F N q q N F F F F"),
    ("P", "OPA", "F F F F F F F F F F F F"),
    ("AH", "OPA", "F F F F w a a x F F F F"),
    ("X", "OPA", "F F F F N N N N F F F F"),
    ("N CH CO AB WB AV Q P AH X", "OPX", "F F F F F F F F F F F F"),

    // Contacts write (never internal notes) and answer quotes on their company's tickets;
    // a contact's message while the ticket waits for the customer brings it back to assigned.
    ("N", "CR CC", "F F F F F n F F F N N F"),
    ("CH", "CR CC", "F F F F F c F F F N N F"),
    ("CO", "CR CC", "F F F F F c F F F N N F"),
    ("AB", "CR CC", "F F F F F a F F F N N F"),
    ("WB", "CR CC", "F F F F F a F F F N N F"),
    ("AV", "CR", "F F F F F a F F F N N F"),
    ("AV", "CC", "F F F F F F F F F F F F"),  // vulnerabilities: the reporting contact only
    ("Q", "CR CC", "F F F F F q F F F a c F"),
    ("P", "CR CC", "F F F F F p F F F N N F"),
    ("AH", "CR CC", "F F F F F a F F F N N F"),
    ("X", "CR CC", "F F F F F N F F F N N F"),
    ("N CH CO AB WB AV Q P AH X", "CF", "F F F F F F F F F F F F"),
]

private let statusCodes: [Character: TicketStatus] = [
    "n": .new, "c": .inCharge, "a": .assigned, "w": .waitingCustomer,
    "q": .quoted, "p": .awaitingPackage, "x": .closed,
]

/// One cell of the table.
struct WorkflowCase: CustomTestStringConvertible, Sendable {
    let stateName: String
    let principalName: String
    let commandCode: String
    let state: TicketState
    let principal: Principal
    let command: TicketCommand
    let expected: Character

    var testDescription: String { "\(stateName) × \(principalName) × \(commandCode) → \(expected)" }
}

private func expandTable() -> [WorkflowCase] {
    var cases: [WorkflowCase] = []
    for row in table {
        let outcomes = row.outcomes.split(separator: " ").map { Character(String($0)) }
        precondition(outcomes.count == commands.count, "row \(row) has \(outcomes.count) outcomes")
        for stateName in row.state.split(separator: " ").map(String.init) {
            for principalName in row.principals.split(separator: " ").map(String.init) {
                guard let state = fixtures[stateName], let principal = principals[principalName] else {
                    preconditionFailure("unknown fixture in row \(row)")
                }
                for (column, entry) in commands.enumerated() {
                    cases.append(WorkflowCase(
                        stateName: stateName, principalName: principalName, commandCode: entry.code,
                        state: state, principal: principal, command: entry.command, expected: outcomes[column]))
                }
            }
        }
    }
    return cases
}

private let allCases = expandTable()

private func outcomeCode(_ result: Result<TicketDecision, WorkflowError>) -> Character {
    switch result {
    case .success(let decision):
        return statusCodes.first { $0.value == decision.state.status }?.key ?? "?"
    case .failure(.notAllowed): return "N"
    case .failure(.forbidden): return "F"
    case .failure(.invalid): return "I"
    }
}

private func decision(_ result: Result<TicketDecision, WorkflowError>) throws -> TicketDecision {
    try result.get()
}

@Suite("TicketWorkflow")
struct TicketWorkflowTests {

    @Test("the table covers every fixture × principal exactly once, and every status")
    func tableIsComplete() {
        var seen: [String: Int] = [:]
        for row in table {
            for s in row.state.split(separator: " ") {
                for p in row.principals.split(separator: " ") { seen["\(s)/\(p)", default: 0] += 1 }
            }
        }
        #expect(seen.count == fixtures.count * principals.count)
        #expect(seen.values.allSatisfy { $0 == 1 })
        #expect(Set(fixtures.values.map(\.status)) == Set(TicketStatus.allCases))
        #expect(Set(commands.map(\.command.action)) == Set(TicketAction.allCases))
        #expect(allCases.count == fixtures.count * principals.count * commands.count)
    }

    @Test("every status × command × principal decides as the table says", arguments: allCases)
    func matchesTable(_ c: WorkflowCase) {
        let result = TicketWorkflow.decide(c.command, state: c.state, actor: c.principal)
        #expect(outcomeCode(result) == c.expected)
    }

    @Test("refusals and allowedActions agree", arguments: allCases)
    func allowedActionsAgree(_ c: WorkflowCase) {
        let allowed = TicketWorkflow.allowedActions(for: c.state, actor: c.principal)
        let result = TicketWorkflow.decide(c.command, state: c.state, actor: c.principal)
        switch result {
        case .success:
            #expect(allowed.contains(c.command.action))
        case .failure(.notAllowed(let status, let listed)):
            #expect(status == c.state.status)
            #expect(listed == allowed)
            #expect(!allowed.contains(c.command.action))
        case .failure(.forbidden):
            // The only forbidden command whose action is otherwise allowed: a contact's
            // internal note (a public message is fine).
            if case .addMessage(_, true) = c.command, case .contact = c.principal {
                break
            }
            #expect(!allowed.contains(c.command.action))
        case .failure(.invalid):
            #expect(allowed.contains(c.command.action))
        }
    }

    @Test("a closed ticket allows nothing to anyone")
    func closedIsFinal() {
        let closed = fixtures["X"]!
        for principal in principals.values {
            #expect(TicketWorkflow.allowedActions(for: closed, actor: principal).isEmpty)
        }
        let result = TicketWorkflow.decide(.setPriority(1), state: closed, actor: .system)
        #expect(result == .failure(.notAllowed(status: .closed, allowed: [])))
    }

    @Test("allowed actions are listed in a stable order")
    func allowedActionsExamples() {
        let cm = principals["CM"]!
        #expect(TicketWorkflow.allowedActions(for: fixtures["N"]!, actor: cm) == [.takeCharge, .setPriority, .addMessage])
        #expect(TicketWorkflow.allowedActions(for: fixtures["AB"]!, actor: cm)
            == [.assign, .setPriority, .requestClarification, .addMessage, .close])
        #expect(TicketWorkflow.allowedActions(for: fixtures["AB"]!, actor: principals["OPA"]!)
            == [.requestClarification, .addMessage, .close])
        #expect(TicketWorkflow.allowedActions(for: fixtures["Q"]!, actor: principals["CR"]!)
            == [.addMessage, .acceptQuote, .rejectQuote])
        #expect(TicketWorkflow.allowedActions(for: fixtures["AB"]!, actor: principals["OPX"]!).isEmpty)
    }

    // MARK: Events and state

    @Test("taking charge of a bug assigns it and reports everything that changed")
    func takeChargeBug() throws {
        let d = try decision(TicketWorkflow.decide(
            .takeCharge(classification: .bug, priority: 2, assignee: 7), state: fixtures["N"]!, actor: .system))
        #expect(d.state == TicketState(status: .assigned, classification: .bug, priority: 2, assignee: 7,
                                       reporterContact: reporter, customer: customer))
        #expect(d.events == [
            .statusChanged(from: .new, to: .assigned), .chargeTaken, .classified(from: nil, to: .bug),
            .priorityChanged(from: 3, to: 2), .assigned(from: nil, to: 7),
        ])
        #expect(d.notifications.isEmpty)
    }

    @Test("bug and vulnerability need an assignee when taking charge", arguments: [Classification.bug, .vulnerability])
    func takeChargeNeedsAssignee(_ classification: Classification) {
        let result = TicketWorkflow.decide(
            .takeCharge(classification: classification, priority: 3, assignee: nil),
            state: fixtures["N"]!, actor: principals["CM"]!)
        guard case .failure(.invalid(let field, _)) = result else {
            Issue.record("expected invalid, got \(result)")
            return
        }
        #expect(field == "assignee")
    }

    @Test("other classifications go to inCharge; a given assignee is kept", arguments: [
        Classification.evolutionaryChange, .helpDesk, .invoicedIntervention, .interventionNotAccepted, .outOfScope,
    ])
    func takeChargeOthers(_ classification: Classification) throws {
        let d = try decision(TicketWorkflow.decide(
            .takeCharge(classification: classification, priority: 3, assignee: 7),
            state: fixtures["N"]!, actor: principals["CM"]!))
        #expect(d.state.status == .inCharge)
        #expect(d.state.assignee == 7)
        #expect(d.state.classification == classification)
        #expect(!d.events.contains { if case .priorityChanged = $0 { true } else { false } })  // 3 → 3
    }

    @Test("priorities outside 1...4 are invalid", arguments: [0, 5, -1, 99])
    func invalidPriority(_ priority: Int) {
        let expected = { (result: Result<TicketDecision, WorkflowError>) -> Bool in
            if case .failure(.invalid(field: "priority", _)) = result { true } else { false }
        }
        #expect(expected(TicketWorkflow.decide(.setPriority(priority), state: fixtures["AB"]!, actor: .system)))
        #expect(expected(TicketWorkflow.decide(
            .takeCharge(classification: .helpDesk, priority: priority, assignee: nil), state: fixtures["N"]!, actor: .system)))
        #expect(expected(TicketWorkflow.open(customer: 1, reporterContact: nil, declaredPriority: priority)))
    }

    @Test("setting the same priority or assignee again changes nothing")
    func idempotentChanges() throws {
        let state = fixtures["AB"]!
        let samePriority = try decision(TicketWorkflow.decide(.setPriority(3), state: state, actor: .system))
        #expect(samePriority.events.isEmpty && samePriority.state == state)
        let sameAssignee = try decision(TicketWorkflow.decide(.assign(assignee: 7), state: state, actor: .system))
        #expect(sameAssignee.events.isEmpty && sameAssignee.state == state)
        let raised = try decision(TicketWorkflow.decide(.setPriority(1), state: state, actor: .system))
        #expect(raised.events == [.priorityChanged(from: 3, to: 1)])
        let reassigned = try decision(TicketWorkflow.decide(.assign(assignee: 9), state: state, actor: .system))
        #expect(reassigned.events == [.assigned(from: 7, to: 9)])
        #expect(reassigned.state.assignee == 9 && reassigned.state.status == .assigned)
    }

    @Test("assigning a bug that sits in inCharge moves it to assigned")
    func assignBugInCharge() throws {
        let state = TicketState(status: .inCharge, classification: .bug, customer: customer)
        let d = try decision(TicketWorkflow.decide(.assign(assignee: 7), state: state, actor: .system))
        #expect(d.state.status == .assigned)
        #expect(d.events == [.assigned(from: nil, to: 7), .statusChanged(from: .inCharge, to: .assigned)])
    }

    @Test("a clarification request pauses the clock and notifies the customer")
    func clarification() throws {
        let d = try decision(TicketWorkflow.decide(
            .requestClarification(text: "  Which browser?  "), state: fixtures["AB"]!, actor: principals["OPA"]!))
        #expect(d.state.status == .waitingCustomer)
        #expect(d.events == [
            .statusChanged(from: .assigned, to: .waitingCustomer), .clarificationRequested(text: "  Which browser?  "),
            .clockPaused, .notify(.clarification),
        ])
        // The question is kept as written: it is the message stored and sent.
        #expect(d.message?.text == "  Which browser?  " && d.message?.internal == false)
        let blank = TicketWorkflow.decide(.requestClarification(text: " \n "), state: fixtures["AB"]!, actor: .system)
        #expect(blank == .failure(.invalid(field: "text", reason: "the clarification request needs a question")))
    }

    @Test("the customer's answer resumes work; staff messages change no status")
    func messages() throws {
        let waiting = fixtures["WB"]!
        let answer = try decision(TicketWorkflow.decide(
            .addMessage(text: "Firefox 128", internal: false), state: waiting, actor: principals["CC"]!))
        #expect(answer.state.status == .assigned)
        #expect(answer.events == [
            .statusChanged(from: .waitingCustomer, to: .assigned), .messageAdded(text: "Firefox 128", internal: false, fromCustomer: true),
            .clockResumed,
        ])
        let staff = try decision(TicketWorkflow.decide(
            .addMessage(text: "Reminder sent", internal: false), state: waiting, actor: principals["OPA"]!))
        #expect(staff.state == waiting)
        #expect(staff.events == [.messageAdded(text: "Reminder sent", internal: false, fromCustomer: false)])
        let later = try decision(TicketWorkflow.decide(
            .addMessage(text: "Also Chrome", internal: false), state: fixtures["AB"]!, actor: principals["CR"]!))
        #expect(later.state == fixtures["AB"]!)
        #expect(TicketWorkflow.decide(.addMessage(text: "   ", internal: false), state: waiting, actor: .system)
            == .failure(.invalid(field: "text", reason: "the message is empty")))
    }

    @Test("closing records the text (blank means none) and notifies the customer")
    func close() throws {
        let d = try decision(TicketWorkflow.decide(.close(text: " Fixed. "), state: fixtures["WB"]!, actor: principals["OPA"]!))
        #expect(d.state.status == .closed)
        #expect(d.state.assignee == assignee)
        #expect(d.events == [.statusChanged(from: .waitingCustomer, to: .closed), .closed(text: " Fixed. "), .notify(.closure)])
        #expect(d.message?.text == " Fixed. ")
        let silent = try decision(TicketWorkflow.decide(.close(text: "  "), state: fixtures["CO"]!, actor: .system))
        #expect(silent.events.contains(.closed(text: nil)))
        #expect(silent.message == nil)
        #expect(silent.notifications == [.closure])
    }

    @Test("only a care manager closes vulnerability tickets; the reason says so")
    func vulnerabilityClose() {
        let result = TicketWorkflow.decide(.close(text: nil), state: fixtures["AV"]!, actor: principals["OPA"]!)
        #expect(result == .failure(.forbidden(reason: "only a care manager closes vulnerability tickets")))
    }

    @Test("a quote accepted without enough package hours sends the offer form")
    func quoteWithoutPackage() throws {
        let d = try decision(TicketWorkflow.decide(
            .acceptQuote(packageCoversEstimate: false), state: fixtures["Q"]!, actor: principals["CR"]!))
        #expect(d.state.status == .awaitingPackage)
        #expect(d.events == [.statusChanged(from: .quoted, to: .awaitingPackage), .quoteAccepted, .notify(.offerForm)])
    }

    @Test("a rejected quote becomes interventionNotAccepted, which the care manager closes")
    func quoteRejected() throws {
        let rejected = try decision(TicketWorkflow.decide(.rejectQuote, state: fixtures["Q"]!, actor: principals["CC"]!))
        #expect(rejected.state.status == .inCharge)
        #expect(rejected.state.classification == .interventionNotAccepted)
        #expect(rejected.events == [
            .statusChanged(from: .quoted, to: .inCharge), .quoteRejected,
            .classified(from: .evolutionaryChange, to: .interventionNotAccepted),
        ])
        #expect(TicketWorkflow.allowedActions(for: rejected.state, actor: principals["CM"]!).contains(.close))
        #expect(TicketWorkflow.allowedActions(for: rejected.state, actor: principals["OPA"]!).isEmpty == false)
        #expect(!TicketWorkflow.allowedActions(for: rejected.state, actor: principals["OPA"]!).contains(.close))
    }

    // MARK: Whole lifecycles

    /// Applies commands in order, failing the test on the first refusal.
    private func run(_ steps: [(TicketCommand, Principal)], from start: TicketDecision) throws -> (TicketState, [TicketEvent]) {
        var state = start.state
        var events = start.events
        for (command, principal) in steps {
            let d = try TicketWorkflow.decide(command, state: state, actor: principal).get()
            state = d.state
            events += d.events
        }
        return (state, events)
    }

    @Test("bug: open → take charge → clarification → answer → close (docs/product.md §4–5)")
    func bugLifecycle() throws {
        let opened = try TicketWorkflow.open(customer: customer, reporterContact: reporter, declaredPriority: nil).get()
        #expect(opened.state.status == .new && opened.state.priority == 3)
        #expect(opened.events == [.opened, .notify(.receipt)])
        let (state, events) = try run([
            (.takeCharge(classification: .bug, priority: 1, assignee: assignee), principals["CM"]!),
            (.requestClarification(text: "Since when?"), principals["OPA"]!),
            (.addMessage(text: "Since Monday", internal: false), principals["CR"]!),
            (.close(text: "Certificate renewed"), principals["OPA"]!),
        ], from: opened)
        #expect(state.status == .closed)
        let statuses = events.compactMap { if case .statusChanged(_, let to) = $0 { to } else { nil } }
        #expect(statuses == [.assigned, .waitingCustomer, .assigned, .closed])
        let notes = events.compactMap { if case .notify(let kind) = $0 { kind } else { nil } }
        #expect(notes == [.receipt, .clarification, .closure])
        #expect(events.filter { $0 == .clockPaused }.count == 1 && events.filter { $0 == .clockResumed }.count == 1)
    }

    @Test("paid work: take charge → quote → accept without package → package → assign → close")
    func paidWorkLifecycle() throws {
        let opened = try TicketWorkflow.open(customer: customer, reporterContact: reporter, declaredPriority: 4).get()
        let (state, events) = try run([
            (.takeCharge(classification: .invoicedIntervention, priority: 4, assignee: nil), principals["CM"]!),
            (.sendQuote, principals["CM"]!),
            (.acceptQuote(packageCoversEstimate: false), principals["CR"]!),
            (.packageOrdered, .system),
            (.assign(assignee: assignee), principals["CM"]!),
            (.close(text: nil), principals["OPA"]!),
        ], from: opened)
        #expect(state.status == .closed)
        let statuses = events.compactMap { if case .statusChanged(_, let to) = $0 { to } else { nil } }
        #expect(statuses == [.inCharge, .quoted, .awaitingPackage, .assigned, .closed])
        let notes = events.compactMap { if case .notify(let kind) = $0 { kind } else { nil } }
        #expect(notes == [.receipt, .quote, .offerForm, .closure])
    }

    // MARK: Visibility and errors

    @Test("visibility follows docs/product.md §2")
    func visibility() {
        let vulnerability = fixtures["AV"]!
        #expect(TicketWorkflow.canView(vulnerability, actor: .system))
        #expect(TicketWorkflow.canView(vulnerability, actor: principals["CM"]!))
        #expect(TicketWorkflow.canView(vulnerability, actor: principals["OPA"]!))
        #expect(TicketWorkflow.canView(vulnerability, actor: principals["CR"]!))
        #expect(!TicketWorkflow.canView(vulnerability, actor: principals["CC"]!))
        #expect(!TicketWorkflow.canView(vulnerability, actor: principals["OPX"]!))
        #expect(TicketWorkflow.canView(fixtures["AB"]!, actor: principals["CC"]!))
        #expect(!TicketWorkflow.canView(fixtures["AB"]!, actor: principals["CF"]!))
        #expect(!TicketWorkflow.canView(fixtures["N"]!, actor: principals["OPA"]!))
    }

    @Test("a follow-up of a vulnerability is the reporter's alone until the care manager classifies it")
    func followUpOfAVulnerability() throws {
        let closedVulnerability = TicketState(
            status: .closed, classification: .vulnerability, assignee: assignee, reporterContact: reporter, customer: customer)
        let followUp = try TicketWorkflow.openFollowUp(of: closedVulnerability, reporterContact: reporter).get().state
        #expect(followUp.status == .new && followUp.classification == nil && followUp.restrictedToReporter)
        #expect(TicketWorkflow.canView(followUp, actor: principals["CR"]!))
        #expect(!TicketWorkflow.canView(followUp, actor: principals["CC"]!))
        #expect(TicketWorkflow.canView(followUp, actor: principals["CM"]!))
        // A follow-up of that follow-up is restricted too.
        var closedFollowUp = followUp
        closedFollowUp.status = .closed
        #expect(try TicketWorkflow.openFollowUp(of: closedFollowUp, reporterContact: reporter).get().state.restrictedToReporter)
        // Classified: the classification decides.
        let asBug = try TicketWorkflow.decide(
            .takeCharge(classification: .bug, priority: 2, assignee: assignee), state: followUp, actor: principals["CM"]!).get().state
        #expect(!asBug.restrictedToReporter && TicketWorkflow.canView(asBug, actor: principals["CC"]!))
        // An ordinary ticket's follow-up is the company's.
        let ordinary = try TicketWorkflow.openFollowUp(of: fixtures["X"]!, reporterContact: reporter).get().state
        #expect(TicketWorkflow.canView(ordinary, actor: principals["CC"]!))
    }

    @Test("errors describe themselves with the status and the allowed actions")
    func errorDescriptions() {
        let error = WorkflowError.notAllowed(status: .waitingCustomer, allowed: [.addMessage, .close])
        #expect(error.description == "not allowed while the ticket is waitingCustomer; allowed actions: addMessage, close")
        #expect(WorkflowError.notAllowed(status: .closed, allowed: []).description.hasSuffix("allowed actions: none"))
        #expect(WorkflowError.invalid(field: "priority", reason: "x").description == "invalid priority: x")
    }

    @Test("events and states survive a JSON round trip (history rows)")
    func codable() throws {
        let events: [TicketEvent] = [
            .opened, .statusChanged(from: .new, to: .assigned), .classified(from: nil, to: .bug),
            .closed(text: nil), .notify(.closure), .assigned(from: nil, to: 7),
        ]
        let data = try JSONEncoder().encode(events)
        #expect(try JSONDecoder().decode([TicketEvent].self, from: data) == events)
        let state = fixtures["WB"]!
        #expect(try JSONDecoder().decode(TicketState.self, from: JSONEncoder().encode(state)) == state)
    }

    @Test("wire spellings and severity names")
    func vocabulary() {
        #expect(Classification.allCases.map(\.rawValue) == [
            "bug", "evolutionaryChange", "helpDesk", "invoicedIntervention", "interventionNotAccepted",
            "outOfScope", "vulnerability",
        ])
        #expect(TicketStatus.allCases.map(\.rawValue) == [
            "new", "inCharge", "assigned", "waitingCustomer", "quoted", "awaitingPackage", "closed",
        ])
        #expect(Priority.allCases.map { $0.name(in: .en) } == ["Blocking", "High", "Medium", "Low"])
        #expect(Priority.allCases.map { $0.name(in: .it) } == ["Bloccante", "Alta", "Media", "Bassa"])
        #expect(Priority(rawValue: 0) == nil && Priority(rawValue: 5) == nil)
        #expect(Priority.high.label(in: .it) == "2 – Alta")
        #expect(StaffRole.operator.rawValue == "operator")
    }
}
