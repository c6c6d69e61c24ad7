//! The BPEL parser and checker through their one entry point, `check::analyze_text`, over an
//! in-memory loader (nothing touches the disk). The first byte picks what the rest of the input is:
//!   0: a process (`/fuzz/p/process.bpel`, the examples' WSDLs and betsy's beside it);
//!   1: betsy's `TestInterface.wsdl`, imported by a fixed betsy process;
//!   2: an XSD imported by a fixed betsy process (`CalculatorSchema_...xsd`).
//! A process that checks without errors is also compiled for running (`Deployed::from_analysis`).
#![no_main]

use std::path::Path;

use bpel_engine::check::analyze_text;
use bpel_engine::exec::Deployed;
use bpel_fuzz::{memory_loader, process_path, BETSY_PROCESSES, BETSY_XSD_PROCESS, PROCESS_DIR, ROOT};
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: bpel_fuzz::init(), |data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let text = bpel_fuzz::text(rest).into_owned();
    let mut loader = memory_loader();
    let (path, process) = match mode % 3 {
        0 => (process_path("process"), text),
        1 => {
            // betsy's processes import `../TestInterface.wsdl`
            loader.set_text(&Path::new(ROOT).join("TestInterface.wsdl"), text);
            (process_path("process"), BETSY_PROCESSES[0].1.to_string())
        }
        _ => {
            loader.set_text(&Path::new(PROCESS_DIR).join("CalculatorSchema_WithSimpleTypeGroupAndAttributeGroup.xsd"), text);
            (process_path("xsd"), BETSY_XSD_PROCESS.1.to_string())
        }
    };
    let analysis = analyze_text(&mut loader, &path, process);
    let length = analysis.unit.text.len();
    for diagnostic in analysis.diagnostics() {
        if diagnostic.file == analysis.unit.file {
            assert!(diagnostic.span.end as usize <= length, "a diagnostic inside the process text: {diagnostic:?}");
        }
    }
    if !analysis.diagnostics().iter().any(|d| d.is_error()) {
        let _ = Deployed::from_analysis(analysis);
    }
});
