//! Format 2's commit record: what one version changed (row groups added
//! and removed, metadata set and unset), published under the version's
//! name in `_ordo/manifests/` with put-if-absent. See docs/FORMAT.md.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::manifest::{self, DecodeError, Manifest, RowGroupEntry, is_data_file_name};

/// The format version of commit records and checkpoints.
pub(crate) const RECORD_FORMAT_VERSION: u32 = 2;

/// What a commit did, for people reading the log (readers do not use it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Operation {
    Write,
    Compact,
    Metadata,
    Upgrade,
    Remove,
}

/// One commit of format 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Record {
    pub format: String,
    pub format_version: u32,
    pub version: u64,
    /// 32 lower-case hex digits, unique per commit attempt: a writer whose
    /// reply was lost recognizes its own record by it.
    pub commit_id: String,
    pub created_at_ms: i64,
    pub operation: Operation,
    pub ordered_on: String,
    /// Present exactly when the record starts the dataset (no version
    /// before it, or a removed one): the base64 Arrow IPC schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// New row groups, sorted by their statistics.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<RowGroupEntry>,
    /// Files of the previous version no longer live.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata_set: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata_unset: Vec<String>,
    /// A tombstone: the dataset was removed at this version.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

/// A file of `_ordo/manifests/`: a whole version (format 1) or a commit
/// record (format 2).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LogEntry {
    Full(Manifest),
    Delta(Record),
}

impl LogEntry {
    pub(crate) fn version(&self) -> u64 {
        match self {
            Self::Full(m) => m.version,
            Self::Delta(r) => r.version,
        }
    }

    pub(crate) fn created_at_ms(&self) -> i64 {
        match self {
            Self::Full(m) => m.created_at_ms,
            Self::Delta(r) => r.created_at_ms,
        }
    }

    /// Decodes either format; a format newer than 2 is `NewerFormat`.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        match manifest::probe_format(bytes)? {
            1 => Manifest::decode(bytes).map(Self::Full),
            RECORD_FORMAT_VERSION => Record::decode(bytes).map(Self::Delta),
            newer => Err(DecodeError::NewerFormat(newer)),
        }
    }
}

impl Record {
    pub(crate) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a record always serializes")
    }

    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let record: Record =
            serde_json::from_slice(bytes).map_err(|e| DecodeError::Corrupt(e.to_string()))?;
        record.check().map_err(DecodeError::Corrupt)?;
        Ok(record)
    }

    /// The checks that need no previous state; the statistics are checked
    /// against the schema when the record is applied.
    fn check(&self) -> Result<(), String> {
        if self.commit_id.len() != 32 || !self.commit_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "commit_id {:?} is not 32 hex digits",
                self.commit_id
            ));
        }
        if let Some(schema) = &self.schema {
            manifest::check_schema(schema, &self.ordered_on)?;
        }
        if self.removed && (!self.add.is_empty() || !self.remove.is_empty()) {
            return Err("a removal record adds or removes row groups".into());
        }
        if self.schema.is_some() && !self.remove.is_empty() {
            return Err("a record that starts the dataset removes row groups".into());
        }
        for (i, rg) in self.add.iter().enumerate() {
            if !is_data_file_name(&rg.file) {
                return Err(format!(
                    "added row group {i} has an invalid file name {:?}",
                    rg.file
                ));
            }
            if rg.num_rows == 0 {
                return Err(format!("added row group {i} has no rows"));
            }
        }
        if let Some(bad) = self.remove.iter().find(|f| !is_data_file_name(f)) {
            return Err(format!("removes an invalid file name {bad:?}"));
        }
        Ok(())
    }
}

/// A new commit id: 128 random bits as hex.
pub(crate) fn new_commit_id() -> String {
    use crate::storage::random_u64;
    format!("{:016x}{:016x}", random_u64(), random_u64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::manifest::FORMAT_NAME;

    fn sample() -> Record {
        Record {
            format: FORMAT_NAME.into(),
            format_version: RECORD_FORMAT_VERSION,
            version: 2,
            commit_id: new_commit_id(),
            created_at_ms: 5,
            operation: Operation::Write,
            ordered_on: "ts".into(),
            schema: None,
            add: vec![RowGroupEntry {
                file: "a.parquet".into(),
                num_rows: 1,
                min: 1.into(),
                max: 1.into(),
                size: 3,
                crc32c: Some(1),
            }],
            remove: vec!["b.parquet".into()],
            metadata_set: [("k".to_string(), "v".to_string())].into(),
            metadata_unset: vec!["old".into()],
            removed: false,
        }
    }

    #[test]
    fn roundtrip() {
        let r = sample();
        assert_eq!(LogEntry::decode(&r.encode()).ok(), Some(LogEntry::Delta(r)));
        let ids: std::collections::HashSet<String> = (0..100).map(|_| new_commit_id()).collect();
        assert_eq!(ids.len(), 100);
    }

    #[test]
    fn rejects_bad_records() {
        let corrupt =
            |r: &Record| matches!(LogEntry::decode(&r.encode()), Err(DecodeError::Corrupt(_)));
        let mut r = sample();
        r.commit_id = "xyz".into();
        assert!(corrupt(&r));
        let mut r = sample();
        r.removed = true;
        assert!(corrupt(&r));
        let mut r = sample();
        r.add[0].file = "../x.parquet".into();
        assert!(corrupt(&r));
        let mut r = sample();
        r.add[0].num_rows = 0;
        assert!(corrupt(&r));
        let mut r = sample();
        r.remove = vec!["_ordo".into()];
        assert!(corrupt(&r));
        let mut r = sample();
        r.schema = Some("AAAA".into());
        assert!(corrupt(&r));
        let mut r = sample();
        r.format_version = 3;
        assert!(matches!(
            LogEntry::decode(&r.encode()),
            Err(DecodeError::NewerFormat(3))
        ));
    }
}
