//! Waiting for a message and taking it: what receive, pick's onMessage and onEvent share on top of
//! [`crate::exec::messages`] (conflicting and ambiguous receives, correlation, the variable, the
//! message exchange).

use crate::exec::messages::{correlate, is_request_response, key, open_exchange, property_values, store_inbound};
use crate::exec::state::{lookup, Waiter};
use crate::exec::{Deployed, EnvId, ProcessState};
use crate::fault::{Fault, StandardFault};
use crate::model::process::{Correlation, FromPart, Initiate, MessageSpec};
use crate::runtime::{ExchangeId, Op, StepContext, TaskletState};
use crate::xml::Message;

/// Waits for a message: the operation, registered as a waiter so that a message two waiters
/// could take is noticed.
pub fn wait_for(
    cx: &mut StepContext<'_, Deployed>,
    activity: crate::model::process::ActivityId,
    env: EnvId,
    spec: &MessageSpec,
    correlations: &[Correlation],
) -> Op<crate::exec::Payload, crate::exec::MessageKey> {
    let key = key(spec);
    let sets = correlations
        .iter()
        .filter(|c| c.initiate.as_ref().is_none_or(|i| i.value != Initiate::Yes))
        .filter_map(|c| c.set.as_ref().map(|s| s.value.clone()))
        .collect();
    let tasklet = cx.id();
    let stale: Vec<bool> = cx
        .shared()
        .waiting
        .iter()
        .map(|w| !matches!(cx.state(w.tasklet), Some(TaskletState::Blocked(_)) | Some(TaskletState::Runnable)))
        .collect();
    let mut stale = stale.into_iter();
    cx.shared_mut().waiting.retain(|_| !stale.next().unwrap_or(false));
    cx.shared_mut().waiting.push(Waiter { tasklet, activity, key: key.clone(), env, sets });
    Op::Message(key)
}

/// Everything a receive (or onMessage, onEvent) does with the message it got: conflicting and
/// ambiguous receives, correlation, the variable, the message exchange.
#[allow(clippy::too_many_arguments)]
pub fn accept(
    d: &Deployed,
    cx: &mut StepContext<'_, Deployed>,
    env: EnvId,
    spec: &MessageSpec,
    variable: Option<&str>,
    from_parts: Option<&[FromPart]>,
    correlations: &[Correlation],
    message: &Message,
    exchange: ExchangeId,
) -> Result<(), Fault> {
    let me = cx.id();
    let key = key(spec);
    let request_response = is_request_response(d, spec, true);
    let mine = cx.shared().waiting.iter().position(|w| w.tasklet == me && w.key == key);
    let (sets, activity) = match mine {
        Some(i) => {
            let w = cx.shared_mut().waiting.remove(i);
            (w.sets, Some(w.activity))
        }
        None => (Vec::new(), None),
    };
    // a pick's other onMessages wait no more
    cx.shared_mut().waiting.retain(|w| w.tasklet != me);
    // other activities still waiting for the same operation (instances of this one do not count)
    let others: Vec<Waiter> = cx
        .shared()
        .waiting
        .iter()
        .filter(|w| w.key == key && w.tasklet != me && Some(w.activity) != activity)
        .filter(|w| matches!(cx.state(w.tasklet), Some(TaskletState::Blocked(_))))
        .cloned()
        .collect();
    let clash = if others.iter().any(|w| w.sets == sets) {
        Some(Fault::standard(
            StandardFault::ConflictingReceive,
            format!("two receives wait for `{}`.`{}` on the same correlation", key.partner_link, key.operation),
        ))
    } else if others.iter().any(|w| matches_sets(d, cx.shared(), w.env, &w.sets, message)) {
        Some(Fault::standard(
            StandardFault::AmbiguousReceive,
            format!("more than one receive could take this message on `{}`.`{}`", key.partner_link, key.operation),
        ))
    } else {
        None
    };
    if let Some(fault) = clash {
        if request_response {
            // the request stays open: the instance's fault answers it
            let _ = open_exchange(cx.shared_mut(), spec, exchange);
        }
        return Err(fault);
    }
    let state = cx.shared_mut();
    correlate(d, state, env, correlations, message, None)?;
    store_inbound(d, state, env, variable, from_parts, message)?;
    if request_response {
        open_exchange(state, spec, exchange)?;
    }
    Ok(())
}

/// Whether every correlation set of `sets` (seen from `env`) is initiated with the message's values.
fn matches_sets(d: &Deployed, state: &ProcessState, env: EnvId, sets: &[String], message: &Message) -> bool {
    !sets.is_empty()
        && sets.iter().all(|name| {
            let Some(slot) = lookup(d, state, env, |decl| decl.correlation_sets.iter().position(|c| c.name == *name)) else { return false };
            let Some(e) = state.env(slot.env) else { return false };
            let properties = &d.decl(e.decl).correlation_sets[slot.index].properties;
            let current = e.correlations[slot.index].clone();
            current.is_some() && property_values(d, properties, message).ok() == current
        })
}
