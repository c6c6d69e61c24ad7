//! `<throw>` and `<rethrow>`.

use crate::exec::state::View;
use crate::exec::{Act, Deployed, Frame};
use crate::fault::{Fault, StandardFault};
use crate::model::process::Throw;
use crate::model::QName;
use crate::runtime::StepContext;

pub fn throw(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &Frame, throw: &Throw) -> Act {
    let name = throw.fault_name.as_ref().and_then(|n| n.name.clone()).unwrap_or_else(|| QName::new(None, "fault"));
    let data = match &throw.fault_variable {
        Some(variable) => {
            let view = View { deployed: d, state: cx.shared_mut(), env: frame.env };
            match view.value(&variable.value) {
                Some(value) => Some(value.clone()),
                None => {
                    return Act::Fault(Fault::standard(
                        StandardFault::UninitializedVariable,
                        format!("the fault variable `{}` of <throw> is not initialized", variable.value),
                    ))
                }
            }
        }
        None => None,
    };
    Act::Fault(Fault::new(name, data, "thrown by <throw>"))
}

/// The fault the enclosing fault handler handles, as it was caught.
pub fn rethrow(cx: &mut StepContext<'_, Deployed>, frame: &Frame) -> Act {
    let state = cx.shared();
    let fault = state.chain(frame.env).find_map(|id| state.env(id).and_then(|e| e.fault.clone()));
    Act::Fault(fault.unwrap_or_else(|| Fault::standard(StandardFault::SubLanguageExecutionFault, "<rethrow> outside a fault handler")))
}
