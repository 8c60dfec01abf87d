//! Department health for integrators (their own department) and admins (all).

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    adapters::{BreakerState, DepartmentHealth as Health},
    auth::Role,
    error::{AppError, ResultExt},
    graphql::{context::ContextExt, doors::table::Door},
    policy::AccessError,
};

/// Queries of the departmental links' health.
#[derive(Default)]
pub struct HealthQuery;

#[Object]
impl HealthQuery {
    /// The state of each department's link: circuit breaker, recent latency, error and
    /// rate-limit counts, last success. An integrator sees their own department; an
    /// admin sees all. No personal data.
    async fn department_health(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<DepartmentHealth>> {
        let principal = ctx.request()?.caller.principal.as_ref();
        let principal = principal
            .ok_or(AppError::Access(AccessError::Unauthenticated))
            .or_graphql()?;
        let services = ctx.services()?;
        if !Door::DepartmentHealth.admits(Some(principal.role), &services.policy) {
            return Err(AppError::Forbidden).or_graphql();
        }
        let all = services.departments.health();
        // An integrator sees the link of their own department.
        let visible: Vec<Health> = match principal.role {
            Role::Integrator => all
                .into_iter()
                .filter(|h| Some(h.department) == principal.department)
                .collect(),
            _ => all,
        };
        Ok(visible.into_iter().map(DepartmentHealth::from).collect())
    }
}

/// The health of one department's link.
#[derive(SimpleObject)]
pub struct DepartmentHealth {
    /// The department, e.g. `medical_insurance`.
    pub department: String,
    /// Whether the hub has an address for it.
    pub configured: bool,
    /// The circuit breaker's state.
    pub breaker: BreakerStatus,
    /// Median latency of recent attempts, in milliseconds.
    pub latency_p50_ms: Option<f64>,
    /// 95th percentile latency of recent attempts, in milliseconds.
    pub latency_p95_ms: Option<f64>,
    /// 99th percentile latency of recent attempts, in milliseconds.
    pub latency_p99_ms: Option<f64>,
    /// Attempts made (each retry counts).
    pub attempts: u64,
    /// Attempts that failed.
    pub errors: u64,
    /// Attempts answered "slow down" (HTTP 429).
    pub rate_limited: u64,
    /// Attempts that ran out of time.
    pub timeouts: u64,
    /// Calls refused at once because the circuit was open.
    pub short_circuited: u64,
    /// Calls in flight now.
    pub in_flight: u64,
    /// When the department last answered well.
    pub last_success: Option<DateTime<Utc>>,
    /// When it last failed.
    pub last_failure: Option<DateTime<Utc>>,
}

/// A circuit breaker's state (熔断状态).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum BreakerStatus {
    /// 闭合: calls pass.
    Closed,
    /// 断开: calls fail at once until the cool-down ends.
    Open,
    /// 半开: one probe call decides.
    HalfOpen,
}

impl From<Health> for DepartmentHealth {
    fn from(h: Health) -> Self {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        Self {
            department: h.department.as_str().to_owned(),
            configured: h.configured,
            breaker: match h.breaker {
                BreakerState::Closed => BreakerStatus::Closed,
                BreakerState::Open => BreakerStatus::Open,
                BreakerState::HalfOpen => BreakerStatus::HalfOpen,
            },
            latency_p50_ms: h.latency.as_ref().map(|l| ms(l.p50)),
            latency_p95_ms: h.latency.as_ref().map(|l| ms(l.p95)),
            latency_p99_ms: h.latency.as_ref().map(|l| ms(l.p99)),
            attempts: h.attempts,
            errors: h.errors,
            rate_limited: h.rate_limited,
            timeouts: h.timeouts,
            short_circuited: h.short_circuited,
            in_flight: h.in_flight,
            last_success: h.last_success,
            last_failure: h.last_failure.map(|(at, _)| at),
        }
    }
}
