//! SOAP 1.1 envelopes, faults and operation bindings (being written).
