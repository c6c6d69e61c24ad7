//! The checkpoint decoder through `Engine::restore` (header, checksum, postcard body, the runtime's
//! tables, whether the instance fits its process), into a deployed example. Structure-aware: most
//! inputs start from a real checkpoint (every instance of every example's scenario after every
//! step) and edit its body, or are a body of their own; the header is then resealed (length and
//! checksum recomputed) so the decoder behind the checksum is reached. Raw files are tried too.
//! An instance that restores is inspected, run on (clock advanced, partner calls answered with a
//! fault) and checkpointed again.
#![no_main]

use arbitrary::Arbitrary;
use bpel_engine::checkpoint::{checksum, HEADER_LEN};
use bpel_engine::fault::{Fault, StandardFault};
use bpel_fuzz::{engine_with, example_checkpoints, EXAMPLES};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Edit {
    Set {
        at: u16,
        value: u8,
    },
    Insert {
        at: u16,
        value: u8,
    },
    Remove {
        at: u16,
    },
    /// Adds to a byte: postcard's varints (lengths, indices, enum tags) move by small steps.
    Add {
        at: u16,
        delta: i8,
    },
    Splice {
        at: u16,
        bytes: Vec<u8>,
    },
}

#[derive(Arbitrary, Debug)]
enum Input {
    /// A real checkpoint with its body edited, resealed.
    Edited { checkpoint: u16, edits: Vec<Edit> },
    /// A body of its own for an example, sealed with the example's header.
    Body { example: u8, body: Vec<u8> },
    /// A whole file as it is.
    Raw { example: u8, bytes: Vec<u8> },
}

/// Writes the body length and the checksum of a checkpoint whose body was changed.
fn reseal(bytes: &mut [u8]) {
    let body_len = (bytes.len() - HEADER_LEN) as u64;
    bytes[26..34].copy_from_slice(&body_len.to_le_bytes());
    let sum = checksum(&[&bytes[..34], &bytes[HEADER_LEN..]]);
    bytes[34..42].copy_from_slice(&sum.to_le_bytes());
}

fn edit(body: &mut Vec<u8>, edit: &Edit) {
    let at = |at: u16, len: usize| if len == 0 { 0 } else { usize::from(at) % len };
    match *edit {
        Edit::Set { at: i, value } if !body.is_empty() => {
            let i = at(i, body.len());
            body[i] = value;
        }
        Edit::Insert { at: i, value } => body.insert(at(i, body.len() + 1), value),
        Edit::Remove { at: i } if !body.is_empty() => {
            body.remove(at(i, body.len()));
        }
        Edit::Add { at: i, delta } if !body.is_empty() => {
            let i = at(i, body.len());
            body[i] = body[i].wrapping_add_signed(delta);
        }
        Edit::Splice { at: i, ref bytes } => {
            let i = at(i, body.len() + 1);
            body.splice(i..i, bytes.iter().copied());
        }
        _ => {}
    }
}

fuzz_target!(init: bpel_fuzz::init(), |input: Input| {
    let checkpoints = example_checkpoints();
    let (example, bytes) = match input {
        Input::Edited { checkpoint, edits } => {
            let (example, original) = &checkpoints[usize::from(checkpoint) % checkpoints.len()];
            let mut body = original[HEADER_LEN..].to_vec();
            for e in edits.iter().take(64) {
                edit(&mut body, e);
            }
            let mut bytes = original[..HEADER_LEN].to_vec();
            bytes.extend_from_slice(&body);
            reseal(&mut bytes);
            (*example, bytes)
        }
        Input::Body { example, body } => {
            let example = usize::from(example) % EXAMPLES.len();
            let header = &checkpoints.iter().find(|(e, _)| *e == example).expect("every example has a checkpoint").1[..HEADER_LEN];
            let mut bytes = header.to_vec();
            bytes.extend_from_slice(&body);
            reseal(&mut bytes);
            (example, bytes)
        }
        Input::Raw { example, bytes } => (usize::from(example) % EXAMPLES.len(), bytes),
    };
    let (mut engine, process) = engine_with(example);
    let Ok(id) = engine.restore(process, None, &bytes) else { return };
    let _ = engine.inspect(id);
    let _ = engine.overview(id);
    let _ = engine.checkpoint(id);
    for _ in 0..4 {
        engine.advance(24 * 3600 * 1000);
        for call in engine.drain_invocations() {
            if !call.one_way {
                engine.answer(call.instance, call.request, Err(Fault::standard(StandardFault::InvalidVariables, "the fuzzer's partner")));
            }
        }
    }
    let _ = engine.drain_replies();
    if let Some(Ok(again)) = engine.checkpoint(id) {
        let (mut other, process) = engine_with(example);
        other.restore(process, None, &again).expect("a checkpoint the engine wrote restores");
    }
});
