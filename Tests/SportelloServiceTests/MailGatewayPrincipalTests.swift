import Foundation
@testable import SportelloService
import Testing

/// Who the mail gateway is: a socket peer that is neither root nor the server's user and belongs
/// to the mail group, as its primary group or a supplementary one of its user.
@Suite struct MailGatewayPrincipalTests {
    @Test("root's primary group is found; a group nobody has is not; the system is never the gateway")
    func membership() {
        // uid 0 is root everywhere, with gid 0 as its primary group.
        #expect(UnixGroups.user(0, isIn: 0))
        #expect(!UnixGroups.user(0, isIn: 4_242_424))
        #expect(!UnixGroups.user(4_242_424, isIn: 0), "a uid with no account is in no group")
        let system = CallContext.forConnection(transport: .socket, peerUID: getuid(), peerGID: getgid(), mailGroup: getgid())
        #expect(system.principal == .system)
        #expect(!system.isMailGateway, "the server's own user stays the system, whatever its group")
        let peer = CallContext.forConnection(
            transport: .socket, peerUID: 4_242_424, peerGID: 4_242_425, mailGroup: 4_242_425, serverUID: 4_242_426)
        #expect(peer.principal == nil)
        #expect(peer.isMailGateway, "a peer whose primary group is the mail group")
        let stranger = CallContext.forConnection(
            transport: .socket, peerUID: 4_242_424, peerGID: 4_242_427, mailGroup: 4_242_425, serverUID: 4_242_426)
        #expect(!stranger.isMailGateway)
        #expect(!CallContext.forConnection(transport: .stdio, peerUID: nil, mailGroup: 0).isMailGateway)
    }
}
