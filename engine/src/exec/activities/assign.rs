//! `<assign>` (all copies or none, optionally validated) and `<validate>`.

use crate::exec::state::View;
use crate::exec::{Act, Deployed, Frame};
use crate::model::process::{Assign, Validate};
use crate::runtime::StepContext;
use crate::xml::{validate_variable, CopyEnv, Variables};

pub fn assign(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &Frame, assign: &Assign) -> Act {
    let env = copy_env(d);
    let mut view = View { deployed: d, state: cx.shared_mut(), env: frame.env };
    match crate::xml::assign(env, &mut view, assign) {
        Ok(()) => Act::Done,
        Err(fault) => Act::Fault(fault),
    }
}

pub fn copy_env(d: &Deployed) -> CopyEnv<'_> {
    CopyEnv {
        file: d.unit.file,
        scopes: &d.process().namespaces,
        compiled: &d.compiled,
        xpath: d.xpath_env(),
        definitions: Some(&d.unit.definitions),
    }
}

pub fn validate(d: &Deployed, cx: &mut StepContext<'_, Deployed>, frame: &Frame, validate: &Validate) -> Act {
    let view = View { deployed: d, state: cx.shared_mut(), env: frame.env };
    for name in &validate.variables {
        let Some(found) = view.variable(&name.value) else { continue };
        if let Err(fault) = validate_variable(&d.unit.definitions, &name.value, found.ty, found.value) {
            return Act::Fault(fault);
        }
    }
    Act::Done
}
