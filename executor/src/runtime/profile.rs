//! The grouped task profile: Go's `/debug/pprof/goroutine?debug=1` for gmp.
//!
//! # Design
//!
//! Where the dump lists every task, the profile counts tasks per (spawn site, state or wait
//! reason): a million tasks parked at one `spawn` on one channel make one line,
//! `1000000 @ src/main.rs:12:5 [chan receive]`, the view that finds a leak in production.
//!
//! It walks the registry as the dump does (one shard lock held for at most a chunk of tasks,
//! see the registry module), but reads only a 16-byte key per task under the lock (the spawn
//! site's address and the task's state and wait) and counts the keys after releasing it, so no
//! per-task entry with strings or durations is ever built: the cost is the walk plus one hash
//! count per run of equal keys (tasks spawned together sit together in a shard's list). Sites
//! are then merged by file, line and column (two copies of one `Location` may exist in
//! different monomorphizations), and groups sorted by count, largest first. Like the dump, it
//! is a walk over a moving system, not an atomic snapshot.

use std::collections::HashMap;
use std::fmt;
use std::panic::Location;

use crate::runtime::dump::{Dump, TaskState, state_of};
use crate::scheduler::Shared;
use crate::task::wait::{ShowWait, Wait, WaitReason};

/// One line of a [`Profile`]: how many tasks spawned at one site are in one state (or wait for
/// one reason).
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Runtime::new().unwrap();
/// let _h = rt.spawn(gmp_executor::time::sleep(std::time::Duration::from_secs(60)));
/// # while rt.handle().profile().groups()[0].state != gmp_executor::runtime::TaskState::Waiting {
/// #     std::thread::yield_now();
/// # }
/// let profile = rt.handle().profile();
/// let group: &gmp_executor::runtime::ProfileGroup = &profile.groups()[0];
/// assert_eq!(group.count, 1);
/// assert_eq!(group.wait_reason(), Some(gmp_executor::runtime::WaitReason::Sleep));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProfileGroup {
    /// Tasks in the group.
    pub count: usize,
    /// Where they were spawned.
    pub spawn_site: &'static Location<'static>,
    /// Their state.
    pub state: TaskState,
    wait: Option<Wait>,
}

impl ProfileGroup {
    /// Why the group's tasks wait (`Some` for [`TaskState::Waiting`] groups; see
    /// [`TaskInfo::wait_reason`](crate::runtime::TaskInfo::wait_reason)).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// assert!(rt.handle().profile().groups().is_empty());
    /// ```
    pub fn wait_reason(&self) -> Option<WaitReason> {
        self.wait.map(Wait::reason)
    }

    /// The arm count of the `select!` the group's tasks wait in, if they do.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// let _h = rt.spawn(std::future::pending::<()>());
    /// assert_eq!(rt.handle().profile().groups()[0].select_arms(), None);
    /// ```
    pub fn select_arms(&self) -> Option<u16> {
        self.wait.and_then(Wait::select_arms)
    }
}

impl fmt::Display for ProfileGroup {
    /// `1000000 @ src/main.rs:12:5 [chan receive]`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} @ {} [", self.count, self.spawn_site)?;
        match self.wait {
            Some(w) => write!(f, "{}", ShowWait(w.reason(), w.select_arms()))?,
            None => write!(f, "{}", self.state)?,
        }
        f.write_str("]")
    }
}

/// Live tasks counted by spawn site and state or wait reason: Go's goroutine profile with
/// `debug=1`. From [`profile()`], [`Handle::profile`](crate::Handle::profile) or
/// [`Dump::grouped`].
///
/// Its `Display` form is a header line and one line per group, largest first:
///
/// ```text
/// gmp task profile: total 1000003
/// 1000000 @ src/main.rs:12:5 [chan receive]
/// 2 @ src/main.rs:20:9 [select (3 arms)]
/// 1 @ src/server.rs:40:13 [running]
/// ```
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Builder::new().maxprocs(1).build().unwrap();
/// for _ in 0..3 {
///     let _h = rt.spawn(std::future::pending::<()>());
/// }
/// let profile = rt.handle().profile();
/// assert_eq!(profile.total(), 3);
/// assert_eq!(profile.groups().len(), 1);
/// assert!(profile.to_string().starts_with("gmp task profile: total 3\n3 @ "));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Profile {
    total: usize,
    groups: Vec<ProfileGroup>,
}

/// What a task is grouped by besides its site: its state, and its wait if it waits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Class {
    state: TaskState,
    wait: Option<Wait>,
}

impl Profile {
    pub(crate) fn collect(shared: &Shared) -> Profile {
        let mut counts: HashMap<(usize, Class), usize> = HashMap::new();
        let mut sites: HashMap<usize, &'static Location<'static>> = HashMap::new();
        shared.registry.visit(
            |header| {
                let diag = header.diag();
                let state = state_of(header, &diag);
                let wait = (state == TaskState::Waiting).then(|| Wait::from_bits(diag.wait));
                (header.spawn_site(), Class { state, wait })
            },
            |chunk| {
                // Runs of equal keys are common (tasks spawned together): count them at once.
                let mut run: Option<((usize, Class), usize)> = None;
                for (site, class) in chunk.drain(..) {
                    let key = (std::ptr::from_ref(site).addr(), class);
                    match &mut run {
                        Some((k, n)) if *k == key => *n += 1,
                        _ => {
                            if let Some((k, n)) = run.replace((key, 1)) {
                                *counts.entry(k).or_insert(0) += n;
                            }
                            sites.entry(key.0).or_insert(site);
                        }
                    }
                }
                if let Some((k, n)) = run {
                    *counts.entry(k).or_insert(0) += n;
                }
            },
        );
        Profile::from_counts(
            counts
                .into_iter()
                .map(|((addr, class), n)| (sites[&addr], class, n)),
        )
    }

    /// Merges equal sites, sorts the groups.
    fn from_counts(
        counts: impl Iterator<Item = (&'static Location<'static>, Class, usize)>,
    ) -> Profile {
        type Key = (&'static str, u32, u32, Class);
        let mut merged: HashMap<Key, (&'static Location<'static>, usize)> = HashMap::new();
        for (site, class, n) in counts {
            merged
                .entry((site.file(), site.line(), site.column(), class))
                .or_insert((site, 0))
                .1 += n;
        }
        let mut groups: Vec<ProfileGroup> = merged
            .into_iter()
            .map(|((_, _, _, class), (spawn_site, count))| ProfileGroup {
                count,
                spawn_site,
                state: class.state,
                wait: class.wait,
            })
            .collect();
        groups.sort_unstable_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.spawn_site.file().cmp(b.spawn_site.file()))
                .then_with(|| a.spawn_site.line().cmp(&b.spawn_site.line()))
                .then_with(|| a.spawn_site.column().cmp(&b.spawn_site.column()))
                .then_with(|| a.state.as_str().cmp(b.state.as_str()))
                .then_with(|| a.wait.cmp(&b.wait))
        });
        Profile {
            total: groups.iter().map(|g| g.count).sum(),
            groups,
        }
    }

    /// Total tasks counted.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// assert_eq!(rt.handle().profile().total(), 0);
    /// ```
    pub fn total(&self) -> usize {
        self.total
    }

    /// The groups, largest first (ties by spawn site, then state).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// assert!(rt.handle().profile().groups().is_empty());
    /// ```
    pub fn groups(&self) -> &[ProfileGroup] {
        &self.groups
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "gmp task profile: total {}", self.total)?;
        for g in &self.groups {
            write!(f, "\n{g}")?;
        }
        Ok(())
    }
}

impl Dump {
    /// This dump's tasks counted by spawn site and state or wait reason (see [`Profile`]).
    /// [`profile()`] computes the same without building a dump first, which is much cheaper
    /// for many tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = gmp_executor::Runtime::new().unwrap();
    /// let _h = rt.spawn(std::future::pending::<()>());
    /// let profile = rt.handle().dump().grouped();
    /// assert_eq!(profile.total(), 1);
    /// ```
    pub fn grouped(&self) -> Profile {
        let mut counts: HashMap<(usize, Class), (&'static Location<'static>, usize)> =
            HashMap::new();
        for t in self.tasks() {
            let class = Class {
                state: t.state,
                wait: t.wait(),
            };
            counts
                .entry((std::ptr::from_ref(t.spawn_site).addr(), class))
                .or_insert((t.spawn_site, 0))
                .1 += 1;
        }
        Profile::from_counts(
            counts
                .into_iter()
                .map(|((_, class), (site, n))| (site, class, n)),
        )
    }
}

/// Counts the current runtime's live tasks by spawn site and state or wait reason: Go's
/// `/debug/pprof/goroutine?debug=1`. See [`Profile`].
///
/// # Panics
///
/// Panics outside a runtime (use [`Handle::profile`](crate::Handle::profile) from other
/// threads).
///
/// # Examples
///
/// ```
/// let rt = gmp_executor::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (tx, rx) = futures::channel::oneshot::channel::<()>();
///     let h = gmp_executor::spawn(async move { let _ = rx.await; });
///     let profile = gmp_executor::runtime::profile();
///     assert_eq!(profile.total(), 1);
///     println!("{profile}");
///     drop(tx);
///     h.await.unwrap();
/// });
/// ```
#[track_caller]
pub fn profile() -> Profile {
    super::with_current("gmp::runtime::profile", |s| Profile::collect(s))
}
