//! glibc's allocator thresholds, fixed for the engine's frame-sized buffers.
//!
//! glibc serves a block above its mmap threshold (128 KB to start) with fresh pages from the
//! kernel and unmaps them on free, and raises the threshold only after such a block is freed.
//! So whether a photo's buffers of a few megabytes were recycled or faulted in page by page on
//! every photo depended on what the process had happened to free before: when the models came
//! to load from compiled NNEF, which frees fewer large blocks than parsing ONNX did, the matte
//! stage went from 47 to 60 ms a photo (`idphoto bench`, the same binary with and without
//! `GLIBC_TUNABLES` set to these values). Fixed, blocks under 32 MB come from the heap and the
//! heap keeps up to 64 MB free at its top: the same speed whatever ran before, for a few
//! megabytes of resident memory.

const MMAP_THRESHOLD: i32 = 32 << 20;
const TRIM_THRESHOLD: i32 = 64 << 20;

/// Set the thresholds (idempotent; a no-op off glibc).
pub fn hold_large_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets the allocator's parameters, under its own lock.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}
