//! The hub's one schema extension: the steps every GraphQL request takes around the
//! library's parsing, validation, execution and field resolution, in the order written
//! here. The library boxes a future for each extension at each of these hooks and at
//! every field, so the steps share one extension instead of being one each.
//!
//! - Around the request: the operation's span ([`OperationSpan`]).
//! - Before parsing: the document's size in tokens ([`DocumentLimits`]).
//! - After parsing: a parse error gets its code; aliases and root fields are counted;
//!   the operations, the date arguments' document and the variables are kept for later.
//! - Validation: the library's, or for a text validated before, its outcome with this
//!   request's variables ([`KnownValidation`]).
//! - After validation: date arguments ([`DateArguments`]), then depth and complexity.
//! - Around execution: the span is named; the audit log is written before the response
//!   leaves ([`audit_flush`]); a failure that reached the root takes all of `data`.
//! - Around each field: its arguments are checked ([`ArgumentChecks`]) and its failure
//!   climbs to the nearest nullable field ([`NullPropagation`]), the checks' failures too.

use std::sync::Arc;

use async_graphql::{
    Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
        NextPrepareRequest, NextRequest, NextResolve, NextSubscribe, NextValidation, ResolveInfo,
    },
    futures_util::stream::BoxStream,
    parser::types::ExecutableDocument,
};
use tracing::Instrument;

use super::{
    QueryLimits,
    argument_checks::ArgumentChecks,
    audit_flush,
    date_arguments::{DateArguments, DateFields},
    limits::{DocumentLimits, parse_failed},
    null_propagation::{FieldShape, NullPropagation},
    operation_span::OperationSpan,
    validated::{KnownValidation, ValidatedDocuments},
};

/// The extension factory installed on the schema.
pub struct RequestHooks {
    limits: Arc<QueryLimits>,
    date_fields: Arc<DateFields>,
    validated: Arc<ValidatedDocuments>,
}

impl RequestHooks {
    pub fn new(limits: Arc<QueryLimits>) -> Self {
        Self {
            limits,
            date_fields: Arc::default(),
            validated: Arc::default(),
        }
    }

    /// The texts this schema's requests have validated.
    #[cfg(test)]
    pub(super) fn validated(&self) -> Arc<ValidatedDocuments> {
        self.validated.clone()
    }
}

impl ExtensionFactory for RequestHooks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Steps {
            operation: OperationSpan::default(),
            limits: DocumentLimits::new(self.limits.clone()),
            validation: KnownValidation::new(self.validated.clone()),
            dates: DateArguments::new(self.date_fields.clone()),
            arguments: ArgumentChecks::new(self.limits.clone()),
            nulls: NullPropagation::default(),
        })
    }
}

/// One request's steps, with what each keeps between hooks.
struct Steps {
    operation: OperationSpan,
    limits: DocumentLimits,
    validation: KnownValidation,
    dates: DateArguments,
    arguments: ArgumentChecks,
    nulls: NullPropagation,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Steps {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let span = OperationSpan::open();
        let response = next.run(ctx).instrument(span.clone()).await;
        OperationSpan::close(&span, &response);
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        self.nulls.subscribed(next.run(ctx, stream))
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        self.limits.check_tokens(&request.query)?;
        self.validation.prepared(&request);
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next
            .run(ctx, query, variables)
            .await
            .map_err(parse_failed)?;
        self.limits.check_parsed(&document)?;
        self.operation.parsed(&document);
        self.dates
            .parsed(&ctx.schema_env.registry, &document, variables);
        self.arguments.parsed(&document, variables);
        self.validation
            .parsed(&ctx.schema_env.registry, &document, variables);
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        // The document's own validation speaks first (unknown fields, wrong types).
        let result = match self.validation.outcome() {
            Some(outcome) => outcome?,
            None => {
                let result = next.run(ctx).await?;
                self.validation.validated(result);
                result
            }
        };
        self.dates.check(&ctx.schema_env.registry)?;
        self.limits.check_validated(&result)?;
        Ok(result)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        self.operation.executing(operation_name);
        let mut response = audit_flush::execute(ctx, operation_name, next).await;
        self.nulls.executed(&mut response);
        response
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let shape = FieldShape::of(&info);
        let path_node = info.path_node;
        let result = match self.arguments.check(&info) {
            Ok(()) => next.run(ctx, info).await,
            Err(error) => Err(error),
        };
        self.nulls.resolved(path_node, shape, result)
    }
}
