import Foundation

/// What the second SLA clock of a policy measures (docs/product.md §6): time to resolution (`interzen`,
/// `grammelot-preservation`) or to first aid (`zucchetti-preservation`).
public enum SecondClock: String, Hashable, Sendable, Codable, CaseIterable {
    case resolution
    case firstAid
}

/// The two targets of one priority of a policy.
public struct SLATarget: Hashable, Sendable, Codable {
    /// 1 Blocking … 4 Low.
    public let priority: Int
    /// The seed's name for the priority ("Blocking", "High", "Medium", "Low", "Service malfunction").
    public let severity: String
    /// Working time from `receivedAt` until the care manager takes charge.
    public let chargeTaking: WorkingDuration
    /// Working time from `receivedAt` until the second clock (see ``SLAPolicy/secondClock``) stops.
    public let second: WorkingDuration

    public init(priority: Int, severity: String, chargeTaking: WorkingDuration, second: WorkingDuration) {
        self.priority = priority
        self.severity = severity
        self.chargeTaking = chargeTaking
        self.second = second
    }
}

/// Why a policy definition is not acceptable.
public enum SLAPolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalid(field: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let field, let reason): "\(field): \(reason)"
        }
    }
}

/// An SLA policy: per-priority targets measured on a named business calendar (docs/product.md §6).
///
/// A policy need not define every priority: ``target(priority:)`` falls back to the closest
/// defined priority, the more urgent one on a tie. `zucchetti-preservation`, which defines only
/// priority 1, therefore applies its priority-1 targets to every ticket.
public struct SLAPolicy: Hashable, Sendable {
    public let name: String
    /// Name of the ``BusinessCalendar`` the targets are measured on.
    public let calendar: String
    public let secondClock: SecondClock
    /// Sorted by priority, one per priority.
    public let targets: [SLATarget]

    /// Priorities a ticket may have.
    public static let priorities: ClosedRange<Int> = 1...4

    /// - Throws: ``SLAPolicyError/invalid(field:reason:)`` for an empty name or calendar, no
    ///   targets, a priority outside 1…4 or given twice, or a negative or non-finite duration.
    public init(name: String, calendar: String, secondClock: SecondClock, targets: [SLATarget]) throws {
        guard !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw SLAPolicyError.invalid(field: "name", reason: "must not be empty")
        }
        guard !calendar.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw SLAPolicyError.invalid(field: "calendar", reason: "must not be empty")
        }
        guard !targets.isEmpty else {
            throw SLAPolicyError.invalid(field: "targets", reason: "at least one priority is needed")
        }
        var seen = Set<Int>()
        for (i, target) in targets.enumerated() {
            guard Self.priorities.contains(target.priority) else {
                throw SLAPolicyError.invalid(field: "targets[\(i)].priority", reason: "must be 1…4, got \(target.priority)")
            }
            guard seen.insert(target.priority).inserted else {
                throw SLAPolicyError.invalid(field: "targets[\(i)].priority", reason: "priority \(target.priority) given twice")
            }
            guard target.chargeTaking.isValid else {
                throw SLAPolicyError.invalid(field: "targets[\(i)].chargeTaking", reason: "must be a finite amount ≥ 0")
            }
            guard target.second.isValid else {
                throw SLAPolicyError.invalid(field: "targets[\(i)].second", reason: "must be a finite amount ≥ 0")
            }
        }
        self.name = name
        self.calendar = calendar
        self.secondClock = secondClock
        self.targets = targets.sorted { $0.priority < $1.priority }
    }

    /// The targets for `priority`: its own, else those of the closest defined priority (the
    /// lower number, i.e. the stricter one, on a tie). Never nil for a valid policy; nil only
    /// if `targets` is empty.
    public func target(priority: Int) -> SLATarget? {
        targets.min { a, b in
            (abs(a.priority - priority), a.priority) < (abs(b.priority - priority), b.priority)
        }
    }
}

extension SLAPolicy: Codable {
    private enum CodingKeys: String, CodingKey { case name, calendar, secondClock, targets }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(
                name: c.decode(String.self, forKey: .name),
                calendar: c.decode(String.self, forKey: .calendar),
                secondClock: c.decode(SecondClock.self, forKey: .secondClock),
                targets: c.decode([SLATarget].self, forKey: .targets))
        } catch let error as SLAPolicyError {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(calendar, forKey: .calendar)
        try c.encode(secondClock, forKey: .secondClock)
        try c.encode(targets, forKey: .targets)
    }
}
