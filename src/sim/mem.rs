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
