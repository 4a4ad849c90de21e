//! Memory helpers for the per-node arrays of large runs.
//!
//! A million-node run touches its per-node arrays at random: every access is a
//! cache miss and, with 4 KiB pages, a TLB miss too. Natively on Linux the large
//! arrays are advised to use transparent huge pages, which removes most TLB
//! misses; elsewhere this is a plain `vec!`.

/// Arrays smaller than this gain nothing from huge pages.
const HUGE_MIN_BYTES: usize = 4 << 20;

/// A vector of `n` copies of `value`, backed by huge pages where the OS allows.
pub fn big_vec<T: Clone>(n: usize, value: T) -> Vec<T> {
    let bytes = n.saturating_mul(std::mem::size_of::<T>());
    if bytes < HUGE_MIN_BYTES {
        return vec![value; n];
    }
    let mut v: Vec<T> = Vec::with_capacity(n);
    advise_huge(v.as_ptr() as usize, bytes);
    v.resize(n, value);
    v
}

#[cfg(target_os = "linux")]
fn advise_huge(addr: usize, len: usize) {
    const PAGE: usize = 4096;
    let start = addr.next_multiple_of(PAGE);
    let end = (addr + len) & !(PAGE - 1);
    if end > start {
        // SAFETY: madvise only changes how the kernel backs pages of this mapping,
        // which we own (the vector's allocation); it never changes their contents.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_addr: usize, _len: usize) {}

/// The system allocator, counting the bytes it has handed out and not taken
/// back. The binary installs it (natively and in the page): the page sizes its
/// checkpoints with it, and `gossip-lab` reports what a run holds per node.
pub struct Counting;

static LIVE_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only a counter is kept beside it.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: the caller's contract is the system allocator's.
        let p = unsafe { std::alloc::System.alloc(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), std::sync::atomic::Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { std::alloc::System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), std::sync::atomic::Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: as above.
        unsafe { std::alloc::System.dealloc(p, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let q = unsafe { std::alloc::System.realloc(p, layout, new_size) };
        if !q.is_null() {
            LIVE_BYTES.fetch_add(new_size, std::sync::atomic::Ordering::Relaxed);
            LIVE_BYTES.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        }
        q
    }
}

/// The bytes allocated and not freed, where [`Counting`] is the allocator
/// (None elsewhere: a program that allocated nothing through it).
pub fn allocated() -> Option<usize> {
    Some(LIVE_BYTES.load(std::sync::atomic::Ordering::Relaxed)).filter(|&b| b > 0)
}

/// Whether `prefetch` does anything on this target: where it does not (wasm),
/// the engine does not compute what it would prefetch either.
pub const PREFETCH: bool = cfg!(target_arch = "x86_64");

/// Hint the CPU to fetch the cache line of `p` (x86_64; a no-op elsewhere).
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it never faults, even for an invalid address.
    unsafe {
        core::arch::x86_64::_mm_prefetch(p as *const i8, core::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    /// Large and small vectors hold what was asked for.
    #[test]
    fn big_vec_is_filled() {
        let v = super::big_vec(3 << 20, 7u32);
        assert_eq!(v.len(), 3 << 20);
        assert!(v.iter().all(|&x| x == 7));
        assert_eq!(super::big_vec(3, 1u8), vec![1, 1, 1]);
    }
}
