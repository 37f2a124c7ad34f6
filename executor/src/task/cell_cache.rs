//! Free lists of task allocations: Go's per-P `gFree` lists, for memory instead of goroutines.
//!
//! # Why
//!
//! A task is allocated by the thread that spawns it and freed by the thread that drops its last
//! reference, usually the worker that completed it. When those differ (one task spawning work
//! that the other workers run: `spawn_many`, a fan-out, an accept loop), every free is a
//! cross-thread free: the system allocator's per-thread cache sees only frees on the one side
//! and only allocations on the other, so both sides fall through to the shared arena and its
//! lock (`_int_malloc` + `_int_free` were ~20% of `spawn_many`'s cycles). Go never pays this:
//! a dead goroutine goes to its P's free list, half of which spills to a global list that an
//! allocating P refills from in batches. This module does the same for task memory.
//!
//! # Design
//!
//! Sizes are grouped in classes of 16 bytes, chosen so a class's block is the same allocator
//! chunk as the exact size would be (a class's size is `16k - 8`: glibc rounds `size + 8` up to
//! 16), so a cached block costs no memory beyond what the exact size costs. Each thread keeps,
//! per class, a singly linked stack of free blocks threaded through the blocks' first word
//! (at most [`LOCAL_MAX`]). A thread whose stack is full moves the whole stack, as one chain,
//! to the class's global list (a mutex around a vector of chains, at most [`GLOBAL_MAX`]
//! chains; beyond that the chain is given back to the allocator); a thread whose stack is
//! empty takes one chain from there before falling back to the allocator. So a spawner and a
//! completer exchange memory one lock per [`LOCAL_MAX`] tasks, and a thread that both
//! allocates and frees never locks at all.
//!
//! Blocks of every class are allocated with [`BLOCK_ALIGN`] (the allocator's natural
//! alignment here), so one block serves every type of its class. Types that are larger than
//! [`MAX_SIZE`] or more aligned go straight to the allocator, as does everything once the
//! thread's cache is being destroyed (thread exit) and everything under `cfg(loom)` or
//! `cfg(gmp_no_cell_cache)` (the ASan run: a cache would hide use-after-free from it).
//!
//! # Invariants
//!
//! - Every block on a list (thread-local or global) was allocated from the global allocator
//!   with [`class_layout`] of that list's class, is owned by the list (no other pointer to it
//!   is used), and holds the next block of its chain (or null) in its first word.
//! - A thread-local stack is only touched by its thread; a global list only under its mutex.
//! - A chain's `len` is the number of blocks reachable from its head.
//!
//! A runtime that goes idle gives its memory back: a worker that parks empties its own stacks,
//! and the last one to park empties the global lists too ([`trim`]), so a burst of tasks
//! leaves no cached memory behind once the runtime has nothing to do (freed blocks scattered
//! over the heap would otherwise keep whole pages resident).
//!
//! Rejected: one cache per runtime worker (the spawning side of a cross-thread pattern is often
//! not a worker: `block_on`, a thread that spawns into the runtime; the allocation does not care
//! which runtime it serves); splitting a full stack in halves as Go does (walking 32 blocks to
//! find the split costs more than handing over the whole stack); a lock-free global stack
//! (ABA on pop; a mutex taken once per 64 tasks is not contended).

use std::alloc::Layout;
use std::ptr::NonNull;

/// Largest size served from the cache; larger tasks go to the allocator directly.
pub(crate) const MAX_SIZE: usize = 1016;
/// The alignment of every cached block.
pub(crate) const BLOCK_ALIGN: usize = 16;
/// Blocks a thread keeps per class before handing them to the global list.
#[cfg_attr(any(loom, gmp_no_cell_cache), allow(dead_code))]
pub(crate) const LOCAL_MAX: u32 = 64;
/// Chains the global list keeps per class (64 x 64 blocks of up to 1 KiB: at most 4 MiB per
/// class, in practice a few classes are used).
#[cfg_attr(any(loom, gmp_no_cell_cache), allow(dead_code))]
pub(crate) const GLOBAL_MAX: usize = 64;

#[cfg_attr(any(loom, gmp_no_cell_cache), allow(dead_code))]
const CLASSES: usize = (MAX_SIZE + 8) / 16 + 1;

/// The class of a type, if its allocations are cached.
pub(crate) const fn class_of(layout: Layout) -> Option<usize> {
    if layout.size() > MAX_SIZE || layout.align() > BLOCK_ALIGN || layout.size() < 8 {
        return None;
    }
    Some((layout.size() + 8).div_ceil(16))
}

/// The layout of a class's blocks: the largest size that is the same allocator chunk.
pub(crate) const fn class_layout(class: usize) -> Layout {
    match Layout::from_size_align(class * 16 - 8, BLOCK_ALIGN) {
        Ok(layout) => layout,
        Err(_) => panic!("class layout"),
    }
}

#[cfg(not(any(loom, gmp_no_cell_cache)))]
mod imp {
    use std::cell::UnsafeCell;
    use std::ptr::NonNull;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::{CLASSES, GLOBAL_MAX, LOCAL_MAX, class_layout};

    /// A chain of free blocks.
    struct Chain {
        head: NonNull<u8>,
        len: u32,
    }

    // SAFETY: a chain owns its blocks (invariants); they are plain memory, usable from any thread.
    unsafe impl Send for Chain {}

    /// Reads the next block of a chain.
    ///
    /// # Safety
    /// `block` is a block on a list (it holds a next pointer in its first word).
    unsafe fn next_of(block: NonNull<u8>) -> Option<NonNull<u8>> {
        // SAFETY: caller contract; blocks are 16-aligned and at least 8 bytes long.
        NonNull::new(unsafe { block.cast::<*mut u8>().read() })
    }

    /// Gives every block of a chain back to the allocator.
    ///
    /// # Safety
    /// `chain` is a chain of blocks of `class` (invariants), owned by the caller.
    unsafe fn release_chain(class: usize, chain: Chain) {
        let mut next = Some(chain.head);
        while let Some(block) = next {
            // SAFETY: the block is on the chain; read its link before freeing it.
            next = unsafe { next_of(block) };
            // SAFETY: allocated with this layout (invariants) and owned by us.
            unsafe { std::alloc::dealloc(block.as_ptr(), class_layout(class)) };
        }
    }

    /// A thread's stack of free blocks of one class.
    #[derive(Clone, Copy)]
    struct Stack {
        head: *mut u8,
        len: u32,
    }

    impl Stack {
        /// Empties the stack, returning its blocks as one chain (`None` if it was empty).
        fn take(&mut self) -> Option<Chain> {
            let head = NonNull::new(self.head)?;
            let chain = Chain {
                head,
                len: self.len,
            };
            *self = EMPTY;
            Some(chain)
        }
    }

    struct Local {
        stacks: UnsafeCell<[Stack; CLASSES]>,
        /// Blocks on all the stacks (so an empty cache is trimmed with one read).
        cached: std::cell::Cell<u32>,
    }

    impl Drop for Local {
        fn drop(&mut self) {
            for (class, stack) in self.stacks.get_mut().iter_mut().enumerate() {
                if let Some(chain) = stack.take() {
                    give_global(class, chain);
                }
            }
        }
    }

    const EMPTY: Stack = Stack {
        head: std::ptr::null_mut(),
        len: 0,
    };

    thread_local! {
        static LOCAL: Local = const {
            Local {
                stacks: UnsafeCell::new([EMPTY; CLASSES]),
                cached: std::cell::Cell::new(0),
            }
        };
    }

    static GLOBAL: [Mutex<Vec<Chain>>; CLASSES] = [const { Mutex::new(Vec::new()) }; CLASSES];
    /// Chains on all the global lists (written under their locks; read without, as a hint).
    static GLOBAL_CHAINS: AtomicUsize = AtomicUsize::new(0);

    fn take_global(class: usize) -> Option<Chain> {
        let chain = GLOBAL[class]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()?;
        // Relaxed: a hint for `trim_global` (the lists' locks order the chains).
        GLOBAL_CHAINS.fetch_sub(1, Ordering::Relaxed);
        Some(chain)
    }

    fn give_global(class: usize, chain: Chain) {
        let mut list = GLOBAL[class].lock().unwrap_or_else(|e| e.into_inner());
        if list.len() < GLOBAL_MAX {
            list.push(chain);
            // Relaxed: as in `take_global`.
            GLOBAL_CHAINS.fetch_add(1, Ordering::Relaxed);
            return;
        }
        drop(list);
        // SAFETY: the chain is ours and of this class.
        unsafe { release_chain(class, chain) };
    }

    /// A free block of `class` from the thread's stack or the global list, if any.
    #[inline]
    pub(super) fn pop(class: usize) -> Option<NonNull<u8>> {
        LOCAL
            .try_with(|local| {
                // SAFETY: the stacks are only touched by this thread, and neither this
                // function nor `push` re-enters the other while holding this reference.
                let stack = unsafe { &mut (*local.stacks.get())[class] };
                let head = match NonNull::new(stack.head) {
                    Some(head) => head,
                    None => {
                        let chain = take_global(class)?;
                        stack.len = chain.len;
                        local.cached.set(local.cached.get() + chain.len);
                        chain.head
                    }
                };
                // SAFETY: `head` is the first block of a chain we own.
                stack.head = unsafe { next_of(head) }.map_or(std::ptr::null_mut(), NonNull::as_ptr);
                stack.len -= 1;
                local.cached.set(local.cached.get() - 1);
                Some(head)
            })
            .ok()
            .flatten()
    }

    /// Keeps a free block of `class`; false (the caller frees it) while the thread's cache is
    /// being destroyed.
    ///
    /// # Safety
    /// `block` was allocated with `class_layout(class)`, and the caller gives it up.
    #[inline]
    pub(super) unsafe fn push(class: usize, block: NonNull<u8>) -> bool {
        LOCAL
            .try_with(|local| {
                // SAFETY: as in `pop`.
                let stack = unsafe { &mut (*local.stacks.get())[class] };
                if stack.len >= LOCAL_MAX {
                    local.cached.set(local.cached.get() - stack.len);
                    if let Some(full) = stack.take() {
                        give_global(class, full);
                    }
                }
                // SAFETY: the block is ours, 16-aligned and at least 8 bytes long.
                unsafe { block.cast::<*mut u8>().write(stack.head) };
                stack.head = block.as_ptr();
                stack.len += 1;
                local.cached.set(local.cached.get() + 1);
            })
            .is_ok()
    }

    /// Gives the calling thread's cached blocks back to the allocator.
    pub(super) fn trim_local() {
        let _ = LOCAL.try_with(|local| {
            if local.cached.get() == 0 {
                return;
            }
            // SAFETY: as in `pop`.
            let stacks = unsafe { &mut *local.stacks.get() };
            for (class, stack) in stacks.iter_mut().enumerate() {
                if let Some(chain) = stack.take() {
                    // SAFETY: the stack was ours and of this class.
                    unsafe { release_chain(class, chain) };
                }
            }
            local.cached.set(0);
        });
    }

    /// Gives every chain of the global lists back to the allocator.
    pub(super) fn trim_global() {
        // Relaxed: a hint; a chain pushed concurrently stays for the next trim.
        if GLOBAL_CHAINS.load(Ordering::Relaxed) == 0 {
            return;
        }
        for (class, list) in GLOBAL.iter().enumerate() {
            let chains = std::mem::take(&mut *list.lock().unwrap_or_else(|e| e.into_inner()));
            // Relaxed: as in `take_global`.
            GLOBAL_CHAINS.fetch_sub(chains.len(), Ordering::Relaxed);
            for chain in chains {
                // SAFETY: taken off the list: ours, of this class.
                unsafe { release_chain(class, chain) };
            }
        }
    }

    #[cfg(test)]
    pub(super) fn local_len(class: usize) -> u32 {
        // SAFETY: as in `pop`.
        LOCAL.with(|local| unsafe { (*local.stacks.get())[class].len })
    }

    #[cfg(test)]
    pub(super) fn global_chains(class: usize) -> usize {
        GLOBAL[class].lock().unwrap().len()
    }
}

#[cfg(any(loom, gmp_no_cell_cache))]
mod imp {
    use std::ptr::NonNull;

    #[inline]
    pub(super) fn pop(_class: usize) -> Option<NonNull<u8>> {
        None
    }

    #[inline]
    pub(super) unsafe fn push(_class: usize, _block: NonNull<u8>) -> bool {
        false
    }

    pub(super) fn trim_local() {}

    pub(super) fn trim_global() {}
}

/// Gives the cached memory back to the allocator: the calling thread's, and the global lists'
/// if `global`. A runtime's worker calls it when it parks (with `global` when it is the last
/// worker to park): an idle runtime keeps no task memory cached.
pub(crate) fn trim(global: bool) {
    imp::trim_local();
    if global {
        imp::trim_global();
    }
}

/// Allocates memory for a `T` (uninitialized).
#[inline]
pub(crate) fn alloc<T>() -> NonNull<T> {
    let layout = match const { class_of(Layout::new::<T>()) } {
        Some(class) => match imp::pop(class) {
            Some(block) => return block.cast(),
            None => class_layout(class),
        },
        None => Layout::new::<T>(),
    };
    assert!(layout.size() > 0, "task cells are never zero-sized");
    // SAFETY: the layout's size is non-zero.
    let ptr = unsafe { std::alloc::alloc(layout) };
    match NonNull::new(ptr) {
        Some(p) => p.cast(),
        None => std::alloc::handle_alloc_error(layout),
    }
}

/// Frees memory [`alloc`] gave for a `T` (whose value was already dropped or moved out).
///
/// # Safety
/// `ptr` came from `alloc::<T>()` and nothing uses it afterwards.
#[inline]
pub(crate) unsafe fn free<T>(ptr: NonNull<T>) {
    match const { class_of(Layout::new::<T>()) } {
        Some(class) => {
            // SAFETY: `alloc::<T>` allocated it with this class's layout (or took it from a
            // list of this class, whose blocks all have it); we give it up.
            if !unsafe { imp::push(class, ptr.cast()) } {
                // SAFETY: as above.
                unsafe { std::alloc::dealloc(ptr.as_ptr().cast(), class_layout(class)) };
            }
        }
        // SAFETY: allocated with `T`'s own layout.
        None => unsafe { std::alloc::dealloc(ptr.as_ptr().cast(), Layout::new::<T>()) },
    }
}

#[cfg(all(test, not(any(loom, gmp_no_cell_cache))))]
mod tests {
    use super::*;

    #[test]
    fn classes_are_the_allocator_chunk_of_the_exact_size() {
        for size in 8..=MAX_SIZE {
            let class = class_of(Layout::from_size_align(size, 8).unwrap()).unwrap();
            let block = class_layout(class);
            assert!(block.size() >= size, "size {size}: class block {block:?}");
            // Same 16-byte chunk as the exact size (chunk = round_up(size + 8, 16)).
            assert_eq!((block.size() + 8).div_ceil(16), (size + 8).div_ceil(16));
        }
        assert_eq!(
            class_of(Layout::from_size_align(MAX_SIZE + 1, 8).unwrap()),
            None
        );
        assert_eq!(class_of(Layout::from_size_align(64, 32).unwrap()), None);
    }

    #[test]
    fn a_freed_block_is_reused_by_the_same_thread() {
        #[repr(C)]
        struct T([u64; 37]);
        let a = alloc::<T>();
        // SAFETY: from `alloc::<T>`, unused afterwards.
        unsafe { free(a) };
        let b = alloc::<T>();
        assert_eq!(a, b, "the thread's stack hands back the block it just took");
        // SAFETY: as above.
        unsafe { free(b) };
    }

    #[test]
    fn blocks_freed_on_another_thread_come_back_in_chains() {
        #[repr(C)]
        struct T([u64; 125]);
        let class = class_of(Layout::new::<T>()).unwrap();
        // Allocate here, free there: the freeing thread's stack fills and spills to the global
        // list, and its exit hands over what is left.
        let n = 3 * LOCAL_MAX as usize + 5;
        let blocks: Vec<usize> = (0..n).map(|_| alloc::<T>().as_ptr() as usize).collect();
        let freed = blocks.clone();
        std::thread::spawn(move || {
            for p in freed {
                // SAFETY: from `alloc::<T>` above, unused afterwards.
                unsafe { free(NonNull::new(p as *mut T).unwrap()) };
            }
        })
        .join()
        .unwrap();
        assert!(
            global_chains(class) >= 3,
            "spilled chains reach the global list"
        );
        assert_eq!(local_len(class), 0);
        // This thread refills from those chains: every block comes back exactly once.
        let mut again: Vec<usize> = (0..n).map(|_| alloc::<T>().as_ptr() as usize).collect();
        let (mut want, mut got) = (blocks.clone(), again.clone());
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(want, got, "no block lost or handed out twice");
        for p in again.drain(..) {
            // SAFETY: as above.
            unsafe { free(NonNull::new(p as *mut T).unwrap()) };
        }
        assert!(local_len(class) > 0 || global_chains(class) > 0);
        // An idle runtime gives everything back.
        trim(true);
        assert_eq!(local_len(class), 0);
        assert_eq!(global_chains(class), 0);
    }
}

#[cfg(all(test, not(any(loom, gmp_no_cell_cache))))]
use imp::{global_chains, local_len};
