//! Store through the public API: keys of depth 1 to 3, discovery (and
//! what it ignores), get creating nothing, remove pruning exactly the
//! emptied parents, refresh, bad roots and links.

use std::fs;
use std::path::Path;

use crate::common::{dir_snapshot, int_batch};
use ordo::{Error, Store, SubLevel, TopLevel, WriteOptions};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
struct Flat {
    name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, SubLevel)]
struct Freq {
    freq: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
struct Two {
    quantity: String,
    city: String,
    freq: Freq,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, SubLevel)]
struct Run {
    run: u32,
    freq: Freq,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
#[ordo(sep = "_")]
struct Three {
    project: String,
    run: Run,
}

fn flat(name: &str) -> Flat {
    Flat { name: name.into() }
}

fn two(q: &str, c: &str, f: &str) -> Two {
    Two {
        quantity: q.into(),
        city: c.into(),
        freq: Freq { freq: f.into() },
    }
}

fn three(p: &str, run: u32, f: &str) -> Three {
    Three {
        project: p.into(),
        run: Run {
            run,
            freq: Freq { freq: f.into() },
        },
    }
}

fn opts() -> WriteOptions {
    WriteOptions::new("ts")
}

/// Writes rows `ts` (payload `v = ts`) into `key`'s dataset.
fn write<K: TopLevel + Ord + Clone>(store: &Store<K>, key: &K, ts: &[i64]) {
    store
        .get(key)
        .unwrap()
        .write(&int_batch(ts, ts), &opts())
        .unwrap();
}

/// Creates every key's dataset through one store, then checks what a
/// fresh store over the same root discovers.
fn round_trip<K: TopLevel + Ord + Clone + std::fmt::Debug>(keys: &[K], dirs: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::<K>::open(dir.path()).unwrap();
    for (i, key) in keys.iter().enumerate() {
        write(&store, key, &[i as i64, i as i64 + 1]);
    }
    for d in dirs {
        assert!(dir.path().join(d).join("_ordo").is_dir(), "{d}");
    }
    let mut sorted = keys.to_vec();
    sorted.sort();
    assert_eq!(store.keys(), sorted);
    let fresh = Store::<K>::open(dir.path()).unwrap();
    assert_eq!(fresh.keys(), sorted);
    assert_eq!(fresh.len(), keys.len());
    assert!(!fresh.is_empty());
    for (i, key) in keys.iter().enumerate() {
        assert!(fresh.contains(key));
        let ds = fresh.get(key).unwrap();
        assert_eq!(
            ds.read().unwrap(),
            int_batch(&[i as i64, i as i64 + 1], &[i as i64, i as i64 + 1])
        );
    }
    let listed: Vec<(K, u64)> = fresh
        .iter()
        .map(|r| r.map(|(k, ds)| (k, ds.num_rows())).unwrap())
        .collect();
    assert_eq!(
        listed,
        sorted.iter().map(|k| (k.clone(), 2)).collect::<Vec<_>>()
    );
}

#[test]
fn keys_of_depth_one_two_and_three() {
    round_trip(&[flat("b"), flat("a"), flat("c")], &["a", "b", "c"]);
    round_trip(
        &[
            two("temp", "paris", "1D"),
            two("temp", "berlin", "1D"),
            two("temp", "berlin", "1H"),
        ],
        &["temp-berlin/1D", "temp-berlin/1H", "temp-paris/1D"],
    );
    round_trip(
        &[
            three("p", 2, "1D"),
            three("p", 10, "1D"),
            three("q", 1, "4h"),
        ],
        &["p/2/1D", "p/10/1D", "q/1/4h"],
    );
    assert_eq!((Flat::DEPTH, Two::DEPTH, Three::DEPTH), (1, 2, 3));
}

/// A directory that looks like a dataset to the eye, with a manifest file
/// named `name` under `_ordo/manifests/`.
fn fake_dataset(dir: &Path, manifest_name: &str) {
    fs::create_dir_all(dir.join("_ordo/manifests")).unwrap();
    fs::write(dir.join("_ordo/manifests").join(manifest_name), b"{}").unwrap();
}

#[test]
fn discovery_ignores_everything_but_datasets_at_the_key_depth() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let store = Store::<Two>::open(root).unwrap();
    write(&store, &two("t", "berlin", "1D"), &[1]);
    write(&store, &two("t", "paris", "1H"), &[1]);
    // Foreign files at every level.
    fs::write(root.join("README"), b"x").unwrap();
    fs::write(root.join("t-berlin/notes.txt"), b"x").unwrap();
    fs::write(root.join("t-berlin/1D/extra.csv"), b"x").unwrap();
    // A file where a level directory would be.
    fs::write(root.join("t-rome"), b"x").unwrap();
    // Directories without a manifest, or with a non-manifest file.
    fs::create_dir_all(root.join("t-oslo/1D")).unwrap();
    fs::create_dir_all(root.join("t-oslo/1H/_ordo/manifests")).unwrap();
    fake_dataset(&root.join("t-lima/1D"), "1.json");
    fake_dataset(&root.join("t-lima/1H"), "0000000000000000001.json"); // 19 digits
    // Names that do not parse: wrong number of parts, a bad character.
    fake_dataset(&root.join("t/1D"), "00000000000000000001.json");
    fake_dataset(&root.join("t-x-y/1D"), "00000000000000000001.json");
    fake_dataset(&root.join("t-lyon/1D-x"), "00000000000000000001.json");
    // Reserved and hidden names.
    fake_dataset(&root.join("_t-kiev/1D"), "00000000000000000001.json");
    fake_dataset(&root.join(".t-kiev/1D"), "00000000000000000001.json");
    fake_dataset(&root.join("t-kiev/_1D"), "00000000000000000001.json");
    // Datasets too shallow or too deep.
    fake_dataset(&root.join("t-nice"), "00000000000000000001.json");
    fake_dataset(&root.join("t-bonn/1D/deeper"), "00000000000000000001.json");
    // A link to a real dataset is not followed.
    let outside = tempfile::tempdir().unwrap();
    let linked = Store::<Two>::open(outside.path()).unwrap();
    write(&linked, &two("t", "rome", "1D"), &[1]);
    std::os::unix::fs::symlink(outside.path().join("t-rome"), root.join("t-linked")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("t-rome/1D"), root.join("t-paris/1D")).unwrap();
    // A manifest name that parses is enough to be discovered (its content
    // is read when the dataset is opened).
    fake_dataset(&root.join("t-faro/1D"), "00000000000000000001.json");

    let store = Store::<Two>::open(root).unwrap();
    assert_eq!(
        store.keys(),
        vec![
            two("t", "berlin", "1D"),
            two("t", "faro", "1D"),
            two("t", "paris", "1H")
        ]
    );
    assert!(!store.contains(&two("t", "linked", "1D")));
    assert!(!store.contains(&two("t", "paris", "1D")));
    assert!(!store.contains(&two("t", "oslo", "1H")));
    // Reading through a link is refused too.
    assert!(matches!(
        store.get(&two("t", "linked", "1D")),
        Err(Error::SymlinkInStore { .. })
    ));
    assert!(matches!(
        store.get(&two("t", "rome", "1D")),
        Err(Error::NotADirectory { .. })
    ));
}

#[test]
fn get_creates_nothing_and_a_write_through_it_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let store = Store::<Three>::open(&root).unwrap();
    assert!(store.is_empty());
    let key = three("p", 1, "1D");
    let ds = store.get(&key).unwrap();
    assert_eq!(ds.version(), None);
    assert!(!root.exists(), "get creates nothing, not even the root");
    assert!(!store.contains(&key));
    assert_eq!(store.len(), 0);

    fs::create_dir(&root).unwrap();
    let before = dir_snapshot(dir.path());
    let _ = store.get(&three("q", 2, "1H")).unwrap();
    assert_eq!(dir_snapshot(dir.path()), before);

    ds.write(&int_batch(&[1, 2], &[1, 2]), &opts()).unwrap();
    assert_eq!(store.keys(), vec![key.clone()]);
    assert!(store.contains(&key));
    assert_eq!(store.len(), 1);
    // Invalid keys: an error from get, absent for contains.
    let bad = three("a.b", 1, "1D");
    assert!(matches!(store.get(&bad), Err(Error::Key(_))));
    assert!(!store.contains(&bad));
    assert!(matches!(store.remove(&bad), Err(Error::Key(_))));
}

#[test]
fn remove_prunes_emptied_parents_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    // Something next to the root must survive every removal.
    fs::write(dir.path().join("sibling.txt"), b"keep").unwrap();
    let store = Store::<Three>::open(&root).unwrap();
    let keys = [
        three("p", 1, "1D"),
        three("p", 1, "1H"),
        three("p", 2, "1D"),
        three("q", 1, "1D"),
    ];
    for k in &keys {
        write(&store, k, &[1, 2, 3]);
    }
    let outside = dir_snapshot(dir.path())
        .into_iter()
        .filter(|(p, _)| !p.starts_with("store"))
        .collect::<Vec<_>>();

    store.remove(&keys[0]).unwrap();
    assert!(!root.join("p/1/1D").exists());
    assert!(root.join("p/1/1H").is_dir(), "a sibling dataset stays");
    store.remove(&keys[1]).unwrap();
    assert!(!root.join("p/1").exists(), "emptied: pruned");
    assert!(root.join("p").is_dir(), "still holds run 2");
    assert_eq!(store.keys(), vec![keys[2].clone(), keys[3].clone()]);

    // A foreign file in a parent keeps that parent.
    fs::write(root.join("p/notes.txt"), b"mine").unwrap();
    store.remove(&keys[2]).unwrap();
    assert!(!root.join("p/2").exists());
    assert_eq!(fs::read(root.join("p/notes.txt")).unwrap(), b"mine");

    // A foreign file in the dataset directory keeps it (and its parents).
    fs::write(root.join("q/1/1D/mine.csv"), b"x").unwrap();
    store.remove(&keys[3]).unwrap();
    assert!(!store.contains(&keys[3]));
    assert_eq!(fs::read(root.join("q/1/1D/mine.csv")).unwrap(), b"x");
    assert!(!root.join("q/1/1D/_ordo").exists());
    assert!(store.is_empty());

    // Once emptied, everything but the root goes.
    fs::remove_file(root.join("q/1/1D/mine.csv")).unwrap();
    write(&store, &keys[3], &[1]);
    store.remove(&keys[3]).unwrap();
    assert!(!root.join("q").exists());
    assert!(root.is_dir(), "the root itself stays");
    let after = dir_snapshot(dir.path())
        .into_iter()
        .filter(|(p, _)| !p.starts_with("store"))
        .collect::<Vec<_>>();
    assert_eq!(after, outside);

    // Removing a key without a dataset changes nothing.
    let before = dir_snapshot(dir.path());
    store.remove(&keys[0]).unwrap();
    store.remove(&three("p", 9, "9D")).unwrap();
    assert_eq!(dir_snapshot(dir.path()), before);
}

#[test]
fn remove_never_follows_links() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let elsewhere = Store::<Two>::open(outside.path()).unwrap();
    write(&elsewhere, &two("t", "rome", "1D"), &[1, 2]);
    let before = dir_snapshot(outside.path());

    let store = Store::<Two>::open(dir.path()).unwrap();
    // A link as the first level, and as the dataset directory itself.
    std::os::unix::fs::symlink(outside.path().join("t-rome"), dir.path().join("t-rome")).unwrap();
    fs::create_dir(dir.path().join("t-oslo")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("t-rome/1D"),
        dir.path().join("t-oslo/1D"),
    )
    .unwrap();
    for key in [two("t", "rome", "1D"), two("t", "oslo", "1D")] {
        assert!(matches!(
            store.remove(&key),
            Err(Error::SymlinkInStore { .. })
        ));
    }
    assert_eq!(dir_snapshot(outside.path()), before);
    assert!(elsewhere.get(&two("t", "rome", "1D")).unwrap().num_rows() == 2);
}

#[test]
fn refresh_sees_what_other_handles_did() {
    let dir = tempfile::tempdir().unwrap();
    let reader = Store::<Flat>::open(dir.path()).unwrap();
    let writer = Store::<Flat>::open(dir.path()).unwrap();
    write(&writer, &flat("a"), &[1]);
    write(&writer, &flat("b"), &[1]);
    assert!(reader.is_empty(), "the cached set until refresh");
    assert!(reader.contains(&flat("a")), "contains asks the disk");
    reader.refresh().unwrap();
    assert_eq!(reader.keys(), vec![flat("a"), flat("b")]);
    writer.remove(&flat("a")).unwrap();
    // Removed through a dataset handle, not the store.
    writer.get(&flat("b")).unwrap().remove().unwrap();
    reader.refresh().unwrap();
    assert!(reader.is_empty());
    assert!(!writer.contains(&flat("b")));
    assert!(writer.is_empty());
}

#[test]
fn a_root_that_is_a_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    fs::write(&file, b"x").unwrap();
    let err = Store::<Flat>::open(&file).unwrap_err();
    assert!(
        matches!(&err, Error::NotADirectory { path } if path == &file),
        "{err}"
    );
    assert!(err.to_string().contains("not a directory"));
    // A missing root is an empty store; a link to a directory is a root.
    assert!(
        Store::<Flat>::open(dir.path().join("missing"))
            .unwrap()
            .is_empty()
    );
    let real = dir.path().join("real");
    let s = Store::<Flat>::open(&real).unwrap();
    write(&s, &flat("a"), &[1]);
    std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
    let linked = Store::<Flat>::open(dir.path().join("link")).unwrap();
    assert_eq!(linked.keys(), vec![flat("a")]);
}

#[test]
fn dataset_dirs_never_follow_links_below_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    fake_dataset(&outside.path().join("ds"), "00000000000000000001.json");
    std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
    assert!(ordo::dataset_dirs(dir.path()).unwrap().is_empty());
    // The root itself may be a link.
    let root_link = dir.path().join("link");
    assert_eq!(
        ordo::dataset_dirs(&root_link).unwrap(),
        vec![std::path::PathBuf::from("ds")]
    );
}
