//! How the hub closes a socket. graphql-transport-ws defines 4403 and 4408; the hub adds
//! 4401 for a token that expires while the socket is open (the protocol's "Unauthorized":
//! the client must connect again, with a fresh token).

/// `connection_init` was refused (a bad token): Forbidden.
pub const INIT_REFUSED: u16 = 4403;
/// No `connection_init` arrived in time: Connection initialisation timeout.
pub const INIT_TIMEOUT: u16 = 4408;
/// The connection's token expired (its `exp` plus the allowed clock skew): Unauthorized.
pub const TOKEN_EXPIRED: u16 = 4401;

/// A close frame's code and reason (a reason is at most 123 bytes on the wire).
pub fn frame(code: u16, reason: &str) -> actix_ws::CloseReason {
    actix_ws::CloseReason {
        code: actix_ws::CloseCode::Other(code),
        description: Some(reason.chars().take(120).collect()),
    }
}
