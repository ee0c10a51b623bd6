//! The lock of an object store: a lease object created with put-if-absent.
//!
//! The lock object holds its owner's random id and the time its lease
//! ends ([`LEASE`] after it was taken). A holder deletes it when done
//! (after checking it is still its own). A lease that ended belongs to a
//! crashed holder: a contender breaks it by first creating the marker
//! `<lock>.break-<owner>` with put-if-absent, so that of several
//! contenders that saw the same dead lease only one deletes it (the others
//! would otherwise delete the lock its successor just took). The markers
//! stay: one empty object per crashed holder.
//!
//! A lease proves exclusion only while it lasts: an operation holding it
//! longer than [`LEASE`] may overlap its successor. Field writes, which
//! take it, last milliseconds to seconds.

use std::io;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::ObjectStorage;
use crate::storage::{LockGuard, Storage, random_u64};

/// How long a lease lasts.
pub(crate) const LEASE: Duration = Duration::from_secs(120);

/// How often a taken lock is tried again (each try is a request).
const POLL: Duration = Duration::from_millis(50);

/// A held lease; dropping it deletes the lock object if still its own.
struct Lease {
    storage: ObjectStorage,
    path: String,
    owner: String,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if owner_of(&self.storage, &self.path).as_deref() == Some(self.owner.as_str()) {
            let _ = self.storage.delete(&self.path);
        }
    }
}

/// Takes the lease `path`, waiting up to `timeout`.
pub(super) fn acquire(
    storage: &ObjectStorage,
    path: &str,
    timeout: Duration,
) -> io::Result<Option<LockGuard>> {
    let owner = format!("{:016x}{:016x}", random_u64(), random_u64());
    let start = Instant::now();
    loop {
        let body = serde_json::json!({
            "owner": owner,
            "expires_ms": now_ms() + LEASE.as_millis() as u64,
        });
        if storage.put_if_absent(path, body.to_string().as_bytes())? {
            return Ok(Some(Box::new(Lease {
                storage: storage.clone(),
                path: path.to_owned(),
                owner,
            })));
        }
        match storage.read(path) {
            Ok(held) => {
                if let Some(dead) = expired_owner(&held)
                    && storage.put_if_absent(&format!("{path}.break-{dead}"), b"")?
                {
                    storage.delete(path)?;
                    continue;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue, // just released
            Err(e) => return Err(e),
        }
        if start.elapsed() >= timeout {
            return Ok(None);
        }
        std::thread::sleep(POLL.min(timeout.saturating_sub(start.elapsed())));
    }
}

/// The owner of the lock object at `path`, if it can be read.
fn owner_of(storage: &ObjectStorage, path: &str) -> Option<String> {
    let held = storage.read(path).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&held).ok()?;
    v["owner"].as_str().map(str::to_owned)
}

/// The owner of a lease that has ended. A lock object that cannot be
/// read counts as ended, named by a checksum of its bytes.
fn expired_owner(held: &[u8]) -> Option<String> {
    let unreadable = || format!("x{:08x}", crc32c::crc32c(held));
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(held) else {
        return Some(unreadable());
    };
    let expires = v["expires_ms"].as_u64().unwrap_or(0);
    let owner = match v["owner"].as_str() {
        Some(o) if !o.is_empty() && o.chars().all(|c| c.is_ascii_alphanumeric()) => o.to_owned(),
        _ => unreadable(),
    };
    (expires < now_ms()).then_some(owner)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn storage() -> ObjectStorage {
        let store = Arc::new(object_store::memory::InMemory::new());
        ObjectStorage::new(store, "", "memory://lease-test").unwrap()
    }

    #[test]
    fn excludes_until_released() {
        let s = storage();
        let held = acquire(&s, "f.lock", Duration::ZERO).unwrap().unwrap();
        assert!(
            acquire(&s, "f.lock", Duration::from_millis(120))
                .unwrap()
                .is_none()
        );
        drop(held);
        assert!(
            s.list("").unwrap().is_empty(),
            "released: the lock object is gone"
        );
        assert!(acquire(&s, "f.lock", Duration::ZERO).unwrap().is_some());
    }

    #[test]
    fn an_ended_lease_is_broken_once() {
        let s = storage();
        let dead = serde_json::json!({"owner": "abc123", "expires_ms": now_ms() - 1});
        s.put("f.lock", dead.to_string().as_bytes()).unwrap();
        let held = acquire(&s, "f.lock", Duration::ZERO).unwrap().unwrap();
        assert_eq!(s.list("").unwrap(), ["f.lock", "f.lock.break-abc123"]);
        // The marker stops a second breaker of the same dead lease.
        assert!(!s.put_if_absent("f.lock.break-abc123", b"").unwrap());
        assert!(acquire(&s, "f.lock", Duration::ZERO).unwrap().is_none());
        drop(held);
    }

    #[test]
    fn a_live_lease_of_another_owner_is_not_deleted_on_release() {
        let s = storage();
        let held = acquire(&s, "f.lock", Duration::ZERO).unwrap().unwrap();
        let other = serde_json::json!({"owner": "other", "expires_ms": now_ms() + 60_000});
        s.put("f.lock", other.to_string().as_bytes()).unwrap();
        drop(held);
        assert_eq!(owner_of(&s, "f.lock").as_deref(), Some("other"));
    }

    #[test]
    fn unreadable_lock_objects_count_as_ended() {
        let named = expired_owner(b"not json").unwrap();
        assert!(named.starts_with('x') && named.len() == 9, "{named}");
        assert_ne!(expired_owner(b"other bytes"), Some(named));
        let odd = serde_json::json!({"owner": "../x", "expires_ms": 0});
        assert!(
            expired_owner(odd.to_string().as_bytes())
                .unwrap()
                .starts_with('x')
        );
        let live = serde_json::json!({"owner": "a", "expires_ms": now_ms() + 60_000});
        assert_eq!(expired_owner(live.to_string().as_bytes()), None);
    }
}
