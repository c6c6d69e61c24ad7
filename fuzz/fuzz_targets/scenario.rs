//! The scenario reader (`Scenario::parse`, TOML) on arbitrary text, and every scenario that reads
//! run against the example it names (`process = "echo.bpel"`...; else echo) in a fresh engine:
//! requests, expected replies and calls, faults, the virtual clock, checkpoints, assertions.
#![no_main]

use bpel_engine::exec::scenario::{self, Scenario};
use bpel_engine::exec::Engine;
use bpel_fuzz::{engine_at, example_for};
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: bpel_fuzz::init(), |data: &[u8]| {
    let text = bpel_fuzz::text(data);
    let Ok(scenario) = Scenario::parse(&text) else { return };
    let Ok(start) = scenario.start_time() else { return };
    let (mut engine, process) = engine_at(example_for(&scenario), Engine::starting_at(start));
    let report = scenario::run(&mut engine, process, &scenario);
    let _ = report.passed();
});
