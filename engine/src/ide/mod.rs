//! Editor queries over an analysis: pure, no I/O, never panicking on any input.

pub mod completion;
