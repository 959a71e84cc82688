import Foundation
import Testing
import SportelloDomain

/// The escalation ladder on the product's calendars (docs/product.md §7). Every instant below is worked out by hand in
/// the comment beside it (times in Rome; interzen-support works Mon–Fri 08:00–18:30,
/// zucchetti-service 09:00–13:00 and 14:00–18:00).
@Suite("Escalation ladder")
struct EscalationTests {
    let interzen = CalendarSeed.policy(named: "interzen")!
    let zucchetti = CalendarSeed.policy(named: "zucchetti-preservation")!
    let support = CalFixtures.support
    let zucchettiCalendar = CalFixtures.zucchetti
    func rome(_ s: String) -> Date { CalFixtures.rome(s) }

    func facts(_ received: String, priority: Int, chargeTakenAt: String? = nil, classification: Classification? = .bug) -> TicketSLAFacts {
        TicketSLAFacts(
            receivedAt: rome(received), priority: priority, classification: classification, status: .assigned,
            chargeTakenAt: chargeTakenAt.map(rome), closedAt: nil)
    }

    func reached(
        _ facts: TicketSLAFacts, asOf: String, policy: SLAPolicy? = nil, pauses: [PauseInterval] = [],
        ladder: EscalationLadder = .standard
    ) throws -> [String] {
        let policy = policy ?? interzen
        let calendar = policy.name == "zucchetti-preservation" ? zucchettiCalendar : support
        return try Escalation.reached(facts, pauses: pauses, policy: policy, calendar: calendar, ladder: ladder, asOf: rome(asOf))
            .map { "\($0.clock.rawValue) \($0.step.kind.rawValue) \(Self.romeText($0.dueAt))" }
    }

    static func romeText(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/Rome")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    @Test("a P3 bug opened Friday 17:00 warns on Monday 12:30, not during the weekend")
    func p3WarningAfterTheWeekend() throws {
        // P3 charge taking: 8 h; 75 % = 6 h. Friday 4 Dec 2026 17:00–18:30 = 1 h 30; the other
        // 4 h 30 from Monday 7 Dec 08:00 → 12:30. Breach (8 h): 1 h 30 + 6 h 30 → Monday 14:30.
        // 150 % (12 h): 1 h 30 + 10 h 30 → Monday 18:30, closing time (a full day ends there).
        let ticket = facts("2026-12-04 17:00", priority: 3)
        #expect(try reached(ticket, asOf: "2026-12-06 23:59") == [])
        #expect(try reached(ticket, asOf: "2026-12-07 12:30") == [])  // at the instant: not yet past it
        #expect(try reached(ticket, asOf: "2026-12-07 12:31") == ["chargeTaking slaWarning 2026-12-07 12:30:00"])
        #expect(try reached(ticket, asOf: "2026-12-07 14:31") == [
            "chargeTaking slaWarning 2026-12-07 12:30:00", "chargeTaking slaBreach 2026-12-07 14:30:00",
        ])
        // Tuesday 8 Dec is the Immacolata: the 150 % step, Monday 18:30, is seen on Tuesday.
        // Resolution (5 working days = 3150 min) at 75 % = 2362.5 min is far away (Fri 90 + Mon 630
        // + Wed 630 + Thu 630 = 1980; + 382.5 on Fri 11 Dec → 14:22:30).
        #expect(try reached(ticket, asOf: "2026-12-08 09:00").last == "chargeTaking slaEscalation 2026-12-07 18:30:00")
        #expect(try reached(ticket, asOf: "2026-12-11 14:23").last == "resolution slaWarning 2026-12-11 14:22:30")
    }

    @Test("the next instant a step can be reached: what lets a sweep skip the tickets with nothing due")
    func nextStep() throws {
        // P3 from Friday 17:00: on Saturday the next step is the warning, Monday 12:30; once the
        // warning is reached, the breach at 14:30; after charge taking the resolution's warning
        // (5 working days = 3150 min; 75 % = 2362.5 min → Friday 11 Dec 14:22:30).
        let scan = { (facts: TicketSLAFacts, asOf: String) in
            try Escalation.scan(facts, pauses: [], policy: self.interzen, calendar: self.support, ladder: .standard, asOf: self.rome(asOf)).next
        }
        #expect(try scan(facts("2026-12-04 17:00", priority: 3), "2026-12-05 10:00") == rome("2026-12-07 12:30"))
        #expect(try scan(facts("2026-12-04 17:00", priority: 3), "2026-12-07 13:00") == rome("2026-12-07 14:30"))
        #expect(try scan(facts("2026-12-04 17:00", priority: 3, chargeTakenAt: "2026-12-07 09:00"), "2026-12-07 13:00")
            == rome("2026-12-11 14:22:30"))
        // Not a bug: nothing, ever.
        #expect(try scan(facts("2026-12-04 17:00", priority: 3, classification: .helpDesk), "2026-12-07 13:00") == nil)
    }

    @Test("a P1 bug opened at 18:20 breaches charge taking at 08:50 of the next working day")
    func p1BreachNextMorning() throws {
        // P1 charge taking: 1 h. Thursday 3 Dec 18:20–18:30 = 10 min; 50 more on Friday from
        // 08:00 → 08:50. 75 % (45 min): 10 + 35 → 08:35. 150 % (90 min): 10 + 80 → 09:20.
        // Resolution 1 working day (630 min): 10 + 620 → Friday 18:20; 75 % (472.5 min):
        // 10 + 462.5 → 15:42:30; 150 % (945 min): 10 + 630 (all Friday) + 305 → Monday 13:05.
        let ticket = facts("2026-12-03 18:20", priority: 1)
        #expect(try reached(ticket, asOf: "2026-12-03 23:00") == [])
        #expect(try reached(ticket, asOf: "2026-12-05 10:00") == [
            "chargeTaking slaWarning 2026-12-04 08:35:00",
            "chargeTaking slaBreach 2026-12-04 08:50:00",
            "chargeTaking slaEscalation 2026-12-04 09:20:00",
            "resolution slaWarning 2026-12-04 15:42:30",
            "resolution slaBreach 2026-12-04 18:20:00",
        ])
        #expect(try reached(ticket, asOf: "2026-12-07 13:06").last == "resolution slaEscalation 2026-12-07 13:05:00")
    }

    @Test("a clock that has stopped fires nothing more; a ticket without SLA fires nothing")
    func stoppedClocks() throws {
        // Charge taken Friday 08:40, before the breach at 08:50: on Saturday only resolution steps.
        let ticket = facts("2026-12-03 18:20", priority: 1, chargeTakenAt: "2026-12-04 08:40")
        #expect(try reached(ticket, asOf: "2026-12-05 10:00") == [
            "resolution slaWarning 2026-12-04 15:42:30", "resolution slaBreach 2026-12-04 18:20:00",
        ])
        // Taking charge after a step stops the clock as well: nothing is announced late.
        let late = facts("2026-12-03 18:20", priority: 1, chargeTakenAt: "2026-12-04 09:00")
        #expect(try reached(late, asOf: "2026-12-04 09:30") == [])
        #expect(try reached(facts("2026-12-03 18:20", priority: 1, classification: .helpDesk), asOf: "2026-12-05 10:00") == [])
        // Not yet classified: the SLA runs (it may be a bug).
        #expect(try reached(facts("2026-12-03 18:20", priority: 1, classification: nil), asOf: "2026-12-04 08:36").count == 1)
    }

    @Test("a paused clock does not advance toward its steps")
    func pausedClock() throws {
        // The product docs' example: P1 received Thursday 3 Dec 10:15, charge taken at 10:30; waits for the
        // customer Thursday 14:00 → Friday 09:00. Resolution 630 min; 75 % = 472.5 min. Before the
        // pause 10:15–14:00 = 225 min; the other 247.5 from Friday 09:00 → 13:07:30. Without the
        // pause it would have been Thursday 10:15 + 472.5 min = 18:07:30.
        let ticket = facts("2026-12-03 10:15", priority: 1, chargeTakenAt: "2026-12-03 10:30")
        let open = [PauseInterval(from: rome("2026-12-03 14:00"), to: nil)]
        #expect(try reached(ticket, asOf: "2026-12-03 18:10", pauses: open) == [])
        #expect(try reached(ticket, asOf: "2026-12-03 18:10") == ["resolution slaWarning 2026-12-03 18:07:30"])
        let closed = [PauseInterval(from: rome("2026-12-03 14:00"), to: rome("2026-12-04 09:00"))]
        #expect(try reached(ticket, asOf: "2026-12-04 13:08", pauses: closed) == ["resolution slaWarning 2026-12-04 13:07:30"])
        // Breach at Friday 15:45, as docs/product.md §6 says.
        #expect(try reached(ticket, asOf: "2026-12-04 15:46", pauses: closed).last == "resolution slaBreach 2026-12-04 15:45:00")
    }

    @Test("a priority change recomputes the steps: a lower priority no longer reaches them")
    func priorityChange() throws {
        // As P3 the warning (Mon 12:30) and the breach (Mon 14:30) are reached at 14:31.
        // As P4 (16 h): 75 % = 12 h → Monday 18:30; the breach (16 h) falls on Wednesday 9 Dec
        // (Tuesday is a holiday): 1 h 30 + 10 h 30 + 4 h → 12:00.
        #expect(try reached(facts("2026-12-04 17:00", priority: 3), asOf: "2026-12-07 14:31").count == 2)
        #expect(try reached(facts("2026-12-04 17:00", priority: 4), asOf: "2026-12-07 14:31") == [])
        #expect(try reached(facts("2026-12-04 17:00", priority: 4), asOf: "2026-12-09 12:01") == [
            "chargeTaking slaWarning 2026-12-07 18:30:00", "chargeTaking slaBreach 2026-12-09 12:00:00",
        ])
    }

    @Test("holidays of 2026 and 2027 and the DST weekend move the steps")
    func holidaysAndDST() throws {
        // P2 (4 h) received Thursday 31 Dec 2026 17:00: 1 h 30 on Thursday; 1 Jan 2027 is a
        // holiday and 2–3 Jan a weekend; 75 % (3 h) → Monday 4 Jan 09:30, breach → 10:30,
        // 150 % (6 h) → 12:30.
        #expect(try reached(facts("2026-12-31 17:00", priority: 2), asOf: "2027-01-04 12:31") == [
            "chargeTaking slaWarning 2027-01-04 09:30:00", "chargeTaking slaBreach 2027-01-04 10:30:00",
            "chargeTaking slaEscalation 2027-01-04 12:30:00",
        ])
        // P4 (16 h) received Friday 1 Oct 2027 18:00: 30 min on Friday; Monday 4 Oct 2027 is San
        // Francesco (its first weekday); Tuesday's 10 h 30 make 11 h at its close; 75 % (12 h) is
        // one more hour → Wednesday 6 Oct 09:00.
        #expect(try reached(facts("2027-10-01 18:00", priority: 4), asOf: "2027-10-06 09:01") == [
            "chargeTaking slaWarning 2027-10-06 09:00:00",
        ])
        // DST: clocks go forward on Sunday 28 Mar 2027, which is also Easter: Monday 29 is the
        // Lunedì dell'Angelo. P3 received Friday 26 Mar 17:00 (CET, 16:00Z): 1 h 30 on Friday,
        // 4 h 30 from Tuesday 30 Mar 08:00 → 12:30 Rome wall-clock, which is 10:30Z (CEST).
        let dst = try Escalation.reached(
            facts("2027-03-26 17:00", priority: 3), pauses: [], policy: interzen, calendar: support, ladder: .standard,
            asOf: CalFixtures.utc("2027-03-30T10:31:00Z"))
        #expect(dst.map(\.dueAt) == [CalFixtures.utc("2027-03-30T10:30:00Z")])
        #expect(try reached(facts("2027-03-26 17:00", priority: 3), asOf: "2027-03-30 12:29") == [])
    }

    @Test("zucchetti-service's lunch break: steps count only working time, and wait for 14:00")
    func zucchettiLunchBreak() throws {
        // zucchetti-preservation applies its P1 targets to every priority: charge taking 1 working
        // day (480 min). Received Monday 14 Dec 2026 11:00 as P3: 11–13 = 120, 14–18 = 240 → 75 %
        // (360 min) Monday 18:00 exactly; breach: Tuesday 09:00 + 120 → 11:00.
        let ticket = facts("2026-12-14 11:00", priority: 3)
        #expect(try reached(ticket, asOf: "2026-12-15 13:30", policy: zucchetti) == [
            "chargeTaking slaWarning 2026-12-14 18:00:00", "chargeTaking slaBreach 2026-12-15 11:00:00",
        ])
        // Fired at 13:30, during lunch: delivered at 14:00 (P3). A P1 goes at once.
        #expect(try Escalation.notBefore(priority: 3, firedAt: rome("2026-12-15 13:30"), calendar: zucchettiCalendar)
            == rome("2026-12-15 14:00"))
        #expect(try Escalation.notBefore(priority: 1, firedAt: rome("2026-12-15 13:30"), calendar: zucchettiCalendar) == nil)
    }

    @Test("outside working time a notification waits for the next opening, except priority 1")
    func notBefore() throws {
        // Saturday 5 Dec 2026 10:00 → Monday 7 Dec 08:00.
        #expect(try Escalation.notBefore(priority: 3, firedAt: rome("2026-12-05 10:00"), calendar: support) == rome("2026-12-07 08:00"))
        #expect(try Escalation.notBefore(priority: 1, firedAt: rome("2026-12-05 10:00"), calendar: support) == nil)
        // Inside working time: at once.
        #expect(try Escalation.notBefore(priority: 4, firedAt: rome("2026-12-07 12:31"), calendar: support) == nil)
        // Monday 7 Dec 18:31, Tuesday 8 Dec is the Immacolata → Wednesday 9 Dec 08:00.
        #expect(try Escalation.notBefore(priority: 2, firedAt: rome("2026-12-07 18:31"), calendar: support) == rome("2026-12-09 08:00"))
        // Closing time itself is outside (intervals end exclusive).
        #expect(try Escalation.notBefore(priority: 2, firedAt: rome("2026-12-04 18:30"), calendar: support) == rome("2026-12-07 08:00"))
    }

    @Test("a ladder of its own: shares, kinds and recipients as data")
    func customLadder() throws {
        let ladder = try EscalationLadder(steps: [
            EscalationStep(at: 1.5, kind: .slaEscalation, to: [.admins]),
            EscalationStep(at: 0.5, kind: .slaWarning, to: [.assignee, .staff(7)]),
        ])
        #expect(ladder.steps.map(\.at) == [0.5, 1.5])
        // P1 charge taking from Thursday 3 Dec 10:15: 50 % = 30 min → 10:45.
        #expect(try reached(facts("2026-12-03 10:15", priority: 1), asOf: "2026-12-03 10:46", ladder: ladder)
            == ["chargeTaking slaWarning 2026-12-03 10:45:00"])
    }

    @Test("ladders that are refused", arguments: [
        ([] as [EscalationStep], "steps"),
        ([EscalationStep(at: 0, kind: .slaWarning, to: [.assignee])], "steps[0].at"),
        ([EscalationStep(at: 11, kind: .slaWarning, to: [.assignee])], "steps[0].at"),
        ([EscalationStep(at: 0.3333, kind: .slaWarning, to: [.assignee])], "steps[0].at"),
        ([EscalationStep(at: 1, kind: .slaBreach, to: [.admins]), EscalationStep(at: 1, kind: .slaWarning, to: [.admins])], "steps[1].at"),
        ([EscalationStep(at: 1, kind: .slaBreach, to: [])], "steps[0].to"),
        ([EscalationStep(at: 1, kind: .slaBreach, to: [.admins, .admins])], "steps[0].to"),
    ])
    func refused(_ steps: [EscalationStep], _ field: String) {
        #expect {
            _ = try EscalationLadder(steps: steps)
        } throws: { error in
            guard case SLAPolicyError.invalid(let got, _) = error else { return false }
            return got == field
        }
    }

    @Test("recipients read and write as the schema says: names, or a staff id")
    func recipientsCoding() throws {
        let decoded = try JSONDecoder().decode([EscalationRecipient].self, from: Data(#"["assignee","careManagers","admins",4]"#.utf8))
        #expect(decoded == [.assignee, .careManagers, .admins, .staff(4)])
        #expect(String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self) == #"["assignee","careManagers","admins",4]"#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([EscalationRecipient].self, from: Data(#"["boss"]"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([EscalationRecipient].self, from: Data("[0]".utf8)) }
    }

    @Test("the three SLA kinds render the ladder's texts for staff")
    func texts() {
        let context = NotificationContext(ticketID: 9, subject: "Portale lento", customerName: "ACME", priority: 3,
                                          dueAt: "07/12/2026 12:30 (Europe/Rome)", extra: ["clock": "chargeTaking", "percent": "75"])
        let warning = NotificationTemplates.render(.slaWarning, language: .it, context: context)
        #expect(warning.subject == "[Sportello #9] Avviso di scadenza SLA: Portale lento")
        #expect(warning.body.contains("Obiettivo: presa in carico") && warning.body.contains("75% dell'obiettivo"))
        #expect(NotificationTemplates.render(.slaBreach, language: .en, context: context).subject
            == "[Sportello #9] SLA breached: Portale lento")
        #expect(NotificationTemplates.render(.slaEscalation, language: .en, context: context).subject
            == "[Sportello #9] SLA severely overdue: Portale lento")
    }
}
