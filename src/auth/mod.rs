//! Identity at the edge: a bearer token is verified (or found verified in the last
//! minute, `verified`) and becomes a [`Principal`]. What a principal may see is the
//! policy's business, not this module's.

mod jwks;
mod jwt;
mod principal;
mod scope;
mod settings;
mod verified;

pub use jwt::{
    AuthError, Claims, JwtVerifier, TokenRequest, VerifiedToken, mint_development_token,
    mint_development_token_for_client,
};
pub use principal::{Principal, Role};
pub use scope::{ScopeLevel, ScopeLevels};
pub use settings::{AuthSettings, DEVELOPMENT_SECRET};
