//! Access tokens of the client-credentials grant.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::PoliceAuth;

/// Issued tokens and their expiry.
#[derive(Debug)]
pub struct Tokens {
    auth: PoliceAuth,
    issued: Mutex<HashMap<String, Instant>>,
}

impl Tokens {
    pub fn new(auth: PoliceAuth) -> Self {
        Self {
            auth,
            issued: Mutex::new(HashMap::new()),
        }
    }

    pub fn auth(&self) -> &PoliceAuth {
        &self.auth
    }

    /// Whether the credentials are the client's.
    pub fn client_ok(&self, id: &str, secret: &str) -> bool {
        id == self.auth.client_id && secret == self.auth.client_secret
    }

    /// Issues a token.
    pub fn issue(&self) -> String {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let now = Instant::now();
        let mut issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        issued.retain(|_, expiry| *expiry > now);
        issued.insert(token.clone(), now + self.auth.token_ttl);
        token
    }

    /// Whether a token was issued here and has not expired.
    pub fn valid(&self, token: &str) -> bool {
        let issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        issued
            .get(token)
            .is_some_and(|expiry| *expiry > Instant::now())
    }
}
