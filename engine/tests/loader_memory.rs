//! Re-analysing an edited process replaces its text instead of keeping every version: over 10,000
//! re-analyses of one file (a keystroke each), the loader holds the same files and the same bytes,
//! and the heap of the whole program does not grow. The heap is measured by counting allocations;
//! this file holds one test so that nothing else allocates meanwhile.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicIsize, Ordering};

use bpel_engine::check::analyze_text;
use bpel_engine::parse::Loader;

/// The system allocator, counting the bytes allocated and not yet freed.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_ptr = unsafe { System.realloc(ptr, layout, new_size) };
        if !new_ptr.is_null() {
            LIVE_BYTES.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        }
        new_ptr
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const EDITS: usize = 10_000;

#[test]
fn memory_stays_flat_over_ten_thousand_re_analyses_of_one_file() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/order-approval/order-approval.bpel");
    let original = std::fs::read_to_string(&path).expect("the order-approval example");
    assert!(original.contains("<from>1000</from>"), "the edited spot is in the example");
    // A keystroke: the auto-approval limit typed anew, the text a byte or so longer or shorter.
    let edited = |i: usize| original.replace("<from>1000</from>", &format!("<from>{}</from>", 1000 + i % 10));

    let mut loader = Loader::new();
    let first = analyze_text(&mut loader, &path, edited(0));
    assert!(!first.has_errors(), "{:#?}", first.diagnostics());
    let process_file = first.unit.file;
    drop(first);
    for i in 1..10 {
        drop(analyze_text(&mut loader, &path, edited(i)));
    }
    let files_before = loader.sources.len();
    let text_before = loader.sources.total_text_len();
    let documents_before = loader.cached_documents();
    let heap_before = LIVE_BYTES.load(Ordering::Relaxed);

    for i in 0..EDITS {
        let analysis = analyze_text(&mut loader, &path, edited(i));
        assert_eq!(analysis.unit.file, process_file, "the file keeps its id");
        assert!(!analysis.has_errors());
    }

    let heap_growth = LIVE_BYTES.load(Ordering::Relaxed) - heap_before;
    assert_eq!(loader.sources.len(), files_before, "no file added");
    assert_eq!(loader.cached_documents(), documents_before, "no document loaded again");
    assert_eq!(loader.sources.total_text_len(), text_before, "the same text length after ten edits of the last digit");
    assert_eq!(&*loader.sources.get(process_file).text, edited(EDITS - 1), "the current text is the last one");
    // One kept copy of the ~4 KB text per edit would be 40 MB; allow a few allocator-independent
    // kilobytes for what the test harness itself allocates meanwhile.
    assert!(heap_growth < 16 * 1024, "the heap grew by {heap_growth} bytes over {EDITS} re-analyses");
}
