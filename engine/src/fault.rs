//! Faults: the WS-BPEL 2.0 standard faults by name, and the [`Fault`] value activities throw,
//! catch and rethrow.
//!
//! A standard fault's name is a QName in the namespace of executable processes
//! ([`STANDARD_FAULT_NS`]); a fault thrown by a `<throw>`, a partner's WSDL fault or a reply carries
//! any QName. Both travel as a [`Fault`], which is plain data (serde) so that a faulted scope can be
//! checkpointed like everything else.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::QName;
use crate::xml::value::Value;

/// The namespace of the standard faults (that of WS-BPEL 2.0 executable processes).
pub const STANDARD_FAULT_NS: &str = "http://docs.oasis-open.org/wsbpel/2.0/process/executable";

/// Every standard fault of WS-BPEL 2.0 (Appendix A of the specification).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum StandardFault {
    AmbiguousReceive,
    CompletionConditionFailure,
    ConflictingReceive,
    ConflictingRequest,
    CorrelationViolation,
    InvalidBranchCondition,
    InvalidExpressionValue,
    InvalidVariables,
    JoinFailure,
    MismatchedAssignmentFailure,
    MissingReply,
    MissingRequest,
    ScopeInitializationFailure,
    SelectionFailure,
    SubLanguageExecutionFault,
    UninitializedPartnerRole,
    UninitializedVariable,
    UnsupportedReference,
    XsltInvalidSource,
    XsltStylesheetNotFound,
}

impl StandardFault {
    pub const ALL: [StandardFault; 20] = [
        StandardFault::AmbiguousReceive,
        StandardFault::CompletionConditionFailure,
        StandardFault::ConflictingReceive,
        StandardFault::ConflictingRequest,
        StandardFault::CorrelationViolation,
        StandardFault::InvalidBranchCondition,
        StandardFault::InvalidExpressionValue,
        StandardFault::InvalidVariables,
        StandardFault::JoinFailure,
        StandardFault::MismatchedAssignmentFailure,
        StandardFault::MissingReply,
        StandardFault::MissingRequest,
        StandardFault::ScopeInitializationFailure,
        StandardFault::SelectionFailure,
        StandardFault::SubLanguageExecutionFault,
        StandardFault::UninitializedPartnerRole,
        StandardFault::UninitializedVariable,
        StandardFault::UnsupportedReference,
        StandardFault::XsltInvalidSource,
        StandardFault::XsltStylesheetNotFound,
    ];

    /// The local part of the fault's QName, as the specification spells it.
    pub fn local_name(self) -> &'static str {
        match self {
            StandardFault::AmbiguousReceive => "ambiguousReceive",
            StandardFault::CompletionConditionFailure => "completionConditionFailure",
            StandardFault::ConflictingReceive => "conflictingReceive",
            StandardFault::ConflictingRequest => "conflictingRequest",
            StandardFault::CorrelationViolation => "correlationViolation",
            StandardFault::InvalidBranchCondition => "invalidBranchCondition",
            StandardFault::InvalidExpressionValue => "invalidExpressionValue",
            StandardFault::InvalidVariables => "invalidVariables",
            StandardFault::JoinFailure => "joinFailure",
            StandardFault::MismatchedAssignmentFailure => "mismatchedAssignmentFailure",
            StandardFault::MissingReply => "missingReply",
            StandardFault::MissingRequest => "missingRequest",
            StandardFault::ScopeInitializationFailure => "scopeInitializationFailure",
            StandardFault::SelectionFailure => "selectionFailure",
            StandardFault::SubLanguageExecutionFault => "subLanguageExecutionFault",
            StandardFault::UninitializedPartnerRole => "uninitializedPartnerRole",
            StandardFault::UninitializedVariable => "uninitializedVariable",
            StandardFault::UnsupportedReference => "unsupportedReference",
            StandardFault::XsltInvalidSource => "xsltInvalidSource",
            StandardFault::XsltStylesheetNotFound => "xsltStylesheetNotFound",
        }
    }

    pub fn from_local_name(local: &str) -> Option<StandardFault> {
        StandardFault::ALL.into_iter().find(|fault| fault.local_name() == local)
    }

    /// The fault's name: `{http://docs.oasis-open.org/wsbpel/2.0/process/executable}local`.
    pub fn qname(self) -> QName {
        QName::new(Some(STANDARD_FAULT_NS), self.local_name())
    }

    /// The standard fault named `name`, if it is one.
    pub fn from_qname(name: &QName) -> Option<StandardFault> {
        if name.namespace.as_deref() != Some(STANDARD_FAULT_NS) {
            return None;
        }
        StandardFault::from_local_name(&name.local)
    }
}

/// The local name (`selectionFailure`): what a person reads in a message. The QName is
/// [`StandardFault::qname`].
impl fmt::Display for StandardFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.local_name())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a WS-BPEL 2.0 standard fault")]
pub struct UnknownStandardFault(pub String);

/// Accepts the local name, `bpel:local` (any prefix) or `{namespace}local`.
impl FromStr for StandardFault {
    type Err = UnknownStandardFault;

    fn from_str(text: &str) -> Result<StandardFault, UnknownStandardFault> {
        let trimmed = text.trim();
        let local = if let Some(rest) = trimmed.strip_prefix('{') {
            match rest.split_once('}') {
                Some((STANDARD_FAULT_NS, local)) => local,
                _ => return Err(UnknownStandardFault(text.to_string())),
            }
        } else {
            trimmed.rsplit_once(':').map_or(trimmed, |(_, local)| local)
        };
        StandardFault::from_local_name(local).ok_or_else(|| UnknownStandardFault(text.to_string()))
    }
}

/// A fault as activities throw, catch and rethrow it: its name, its data (a message or an element,
/// when the fault has any) and a human explanation (for traces and SOAP faultstrings; it takes no
/// part in matching catches). The data is boxed: faults travel in every `Result` of evaluation,
/// and most carry none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    pub name: QName,
    pub data: Option<Box<Value>>,
    pub message: String,
}

impl Fault {
    pub fn new(name: QName, data: Option<Value>, message: impl Into<String>) -> Fault {
        Fault { name, data: data.map(Box::new), message: message.into() }
    }

    /// The fault's data, if it has any.
    pub fn data(&self) -> Option<&Value> {
        self.data.as_deref()
    }

    /// A standard fault (standard faults carry no data).
    pub fn standard(kind: StandardFault, message: impl Into<String>) -> Fault {
        Fault { name: kind.qname(), data: None, message: message.into() }
    }

    /// The standard fault this is, if it is one.
    pub fn standard_kind(&self) -> Option<StandardFault> {
        StandardFault::from_qname(&self.name)
    }

    pub fn is(&self, kind: StandardFault) -> bool {
        self.standard_kind() == Some(kind)
    }
}

impl From<StandardFault> for Fault {
    fn from(kind: StandardFault) -> Fault {
        Fault::standard(kind, kind.local_name())
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.standard_kind() {
            Some(kind) => write!(f, "bpel:{kind}")?,
            None => write!(f, "{}", self.name)?,
        }
        if !self.message.is_empty() && self.message != self.name.local {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Fault {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_standard_fault_round_trips_through_its_names() {
        assert_eq!(StandardFault::ALL.len(), 20);
        for kind in StandardFault::ALL {
            assert_eq!(StandardFault::from_qname(&kind.qname()), Some(kind));
            assert_eq!(kind.to_string().parse::<StandardFault>(), Ok(kind));
            assert_eq!(format!("bpel:{kind}").parse::<StandardFault>(), Ok(kind));
            assert_eq!(format!("{{{STANDARD_FAULT_NS}}}{kind}").parse::<StandardFault>(), Ok(kind));
        }
        assert!("selectionfailure".parse::<StandardFault>().is_err());
        assert!("{urn:other}selectionFailure".parse::<StandardFault>().is_err());
        assert_eq!(StandardFault::from_qname(&QName::new(Some("urn:x"), "selectionFailure")), None);
    }

    #[test]
    fn faults_display_and_serialize() {
        let fault = Fault::standard(StandardFault::SelectionFailure, "the query selected 2 nodes");
        assert_eq!(fault.to_string(), "bpel:selectionFailure: the query selected 2 nodes");
        assert!(fault.is(StandardFault::SelectionFailure));
        let bytes = postcard::to_allocvec(&fault).unwrap();
        let back: Fault = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, fault);
        let custom = Fault::new(QName::new(Some("urn:t"), "testFault"), None, "");
        assert_eq!(custom.to_string(), "{urn:t}testFault");
        assert_eq!(custom.standard_kind(), None);
    }
}
