//! The heap's thresholds (`photo::heap`), in a process of their own: glibc's
//! counters are process-wide, and other tests' large blocks would move them.

/// A frame-sized buffer (a 1.8 MP RGB frame in f32, 21 MB) comes from the
/// heap, not from fresh kernel pages, even in a process that has freed no
/// large block before (without the thresholds it is mmapped).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn a_frame_sized_buffer_comes_from_the_heap() {
    photo::heap::hold_large_buffers();
    // SAFETY: mallinfo2 only reads the allocator's counters.
    let mapped = || unsafe { libc::mallinfo2() }.hblkhd;
    let before = mapped();
    let frame = vec![1f32; 1350 * 1350 * 3];
    assert!(mapped() < before + frame.len() * 4, "the frame was mmapped");
    std::hint::black_box(&frame);
}
