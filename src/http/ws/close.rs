//! How the hub closes a socket. graphql-transport-ws defines 4400, 4401, 4403, 4408 and
//! 4409; the hub also closes with 4401 when a token expires while the socket is open (the
//! protocol's "Unauthorized": the client must connect again, with a fresh token).

/// A message the protocol does not define, or not JSON: Invalid message.
pub const INVALID_MESSAGE: u16 = 4400;
/// `subscribe` before the connection was acknowledged: Unauthorized.
pub const UNAUTHORIZED: u16 = 4401;
/// `subscribe` with the id of an operation still running: Subscriber already exists.
pub const DUPLICATE_SUBSCRIPTION: u16 = 4409;
/// `connection_init` was refused (a bad token): Forbidden.
pub const INIT_REFUSED: u16 = 4403;
/// No `connection_init` arrived in time: Connection initialisation timeout.
pub const INIT_TIMEOUT: u16 = 4408;
/// The connection's token expired (its `exp` plus the allowed clock skew): Unauthorized.
pub const TOKEN_EXPIRED: u16 = 4401;

/// The instance is stopping (SIGTERM): Service Restart (RFC 6455), reconnect elsewhere.
pub const SERVICE_RESTART: u16 = 1012;

/// A close frame's code and reason (a reason is at most 123 bytes on the wire).
pub fn frame(code: u16, reason: &str) -> actix_ws::CloseReason {
    actix_ws::CloseReason {
        code: actix_ws::CloseCode::Other(code),
        description: Some(reason.chars().take(120).collect()),
    }
}
