//! Runs the operations of one socket for the caller its `connection_init` established.

use std::sync::{Arc, OnceLock};

use async_graphql::{Data, Executor, Request, Response};
use futures_util::{StreamExt, stream::BoxStream};

use super::{gate, init::Session};
use crate::http::quota::Quotas;
use crate::{
    graphql::{CunhubSchema, LiveOperation, RequestContext, Services, response},
    messages::{Language, localize},
};

/// Each operation gets a request context of its own (for what it does before it executes,
/// such as a subscription's door), and each of its executions, every pushed event
/// included, one more ([`LiveOperation`]).
#[derive(Clone)]
pub struct SocketExecutor {
    pub schema: CunhubSchema,
    pub services: Services,
    pub session: Arc<OnceLock<Session>>,
    /// Each operation counts against the caller's limits (`None`: counted before).
    pub quotas: Option<Arc<Quotas>>,
}

impl SocketExecutor {
    fn caller(&self) -> crate::policy::Caller {
        self.session
            .get()
            .map(|s| s.caller.clone())
            .unwrap_or_default()
    }

    fn language(&self) -> Language {
        self.session.get().map(|s| s.language).unwrap_or_default()
    }
}

/// The response as the socket sends it: errored fields present as null, messages in the
/// session's language.
fn finish(mut response: Response, language: Language) -> Response {
    response::finish(&mut response);
    for error in &mut response.errors {
        localize(language, error);
    }
    response
}

impl Executor for SocketExecutor {
    async fn execute(&self, request: Request) -> Response {
        let context = RequestContext::new(self.caller(), &self.services);
        let response = self.schema.execute(request.data(context)).await;
        finish(response, self.language())
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let caller = self.caller();
        let language = self.language();
        let Some(quotas) = self.quotas.clone() else {
            return self.run_stream(request, session_data, caller, language);
        };
        // Over a limit, the operation gets one typed error and ends; the socket stays.
        let this = self.clone();
        futures_util::stream::once(async move {
            let verdict = quotas.count(caller.principal.as_ref()).await;
            match verdict.filter(|v| !v.admitted) {
                Some(refused) => {
                    let refusal = Response::from_errors(vec![refused.error()]);
                    futures_util::stream::once(async move { finish(refusal, language) }).boxed()
                }
                None => this.run_stream(request, session_data, caller, language),
            }
        })
        .flatten()
        .boxed()
    }
}

impl SocketExecutor {
    fn run_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
        caller: crate::policy::Caller,
        language: Language,
    ) -> BoxStream<'static, Response> {
        let context = RequestContext::new(caller.clone(), &self.services);
        let access = context.access.clone();
        let responses = self
            .schema
            .execute_stream_with_session_data(
                request.data(context).data(LiveOperation {
                    caller: caller.clone(),
                }),
                session_data.unwrap_or_default(),
            )
            .boxed();
        gate::audited(responses, access, caller, self.services.audit.clone())
            .map(move |response| finish(response, language))
            .boxed()
    }
}
