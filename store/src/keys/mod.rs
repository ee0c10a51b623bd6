//! Dataset keys: plain structs that map to directory paths.
//!
//! Users derive [`TopLevel`] (and [`SubLevel`] for nested levels) with
//! `#[derive(ordo::TopLevel)]`; this module holds the traits, the rules and
//! the [`KeyError`] type the generated code relies on.
//!
//! A key with fields `f1, f2, ..., sub` prints its leaf fields joined by the
//! separator (`-` by default, any single character that is not a letter, a
//! digit, whitespace, a control character, `/`, `\` or `.`) as one directory
//! name; a last field that derives [`SubLevel`] becomes the next directory
//! level, with the same separator. `Display` joins every field of every
//! level with the separator.
//!
//! Rules, enforced by [`TopLevel::validate`], [`TopLevel::to_path`] and the
//! parsers:
//! - string fields are non-empty, hold no `/`, `\`, `.`, NUL or control
//!   character, never the separator, and do not start with `_` (reserved
//!   for ordo's own files);
//! - integers print in canonical decimal form; parsing accepts only that
//!   form, and an integer whose text holds the separator (a negative number
//!   with `-`) is rejected;
//! - parsing is strict: a wrong number of parts in a directory name, a
//!   missing level, or a leftover level is an error.
//!
//! Thus `from_path(to_path(k)) == k` and `to_path(from_path(p)) == p`.

mod error;
mod part;

use std::path::{Path, PathBuf};

pub use error::KeyError;

/// A key naming one dataset in a [`Store`](crate::Store): a struct whose
/// fields map to a relative directory path.
///
/// Derive it with `#[derive(ordo::TopLevel)]` (optionally
/// `#[ordo(sep = "_")]`); do not implement it by hand.
///
/// ```
/// use std::path::Path;
/// use ordo::{SubLevel, TopLevel};
///
/// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, SubLevel)]
/// struct Sampling { frequency: String }
///
/// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
/// struct Measure { quantity: String, city: String, sampling: Sampling }
///
/// let key = Measure {
///     quantity: "temperature".into(),
///     city: "berlin".into(),
///     sampling: Sampling { frequency: "1D".into() },
/// };
/// assert_eq!(Measure::DEPTH, 2);
/// assert_eq!(key.to_path()?, Path::new("temperature-berlin/1D"));
/// assert_eq!(key.to_string(), "temperature-berlin-1D");
/// assert_eq!(Measure::from_path(Path::new("temperature-berlin/1D"))?, key);
/// assert!(Measure::from_path(Path::new("zz-temperature-berlin/1D")).is_err());
/// # Ok::<(), ordo::KeyError>(())
/// ```
pub trait TopLevel: __private::KeyLevel + Sized {
    /// The separator between fields of one directory name.
    const SEP: char;
    /// How many directory levels the key spans (1 + its sub-levels).
    const DEPTH: usize = <Self as __private::KeyLevel>::LEVELS;

    /// The key's relative directory path, after validating every field.
    fn to_path(&self) -> Result<PathBuf, KeyError> {
        let mut dirs = Vec::with_capacity(Self::DEPTH);
        self.write_dirs(Self::SEP, &mut dirs)?;
        Ok(dirs.iter().collect())
    }

    /// Parses a relative path strictly: exactly `DEPTH` plain components,
    /// each splitting into its level's fields.
    fn from_path(path: &Path) -> Result<Self, KeyError> {
        __private::parse_path::<Self>(path, Self::SEP)
    }

    /// Checks every field against the key rules.
    fn validate(&self) -> Result<(), KeyError> {
        self.write_dirs(Self::SEP, &mut Vec::new())
    }
}

/// A nested level of a key: the last field of a [`TopLevel`] (or of another
/// `SubLevel`) whose fields form the next directory level.
///
/// Derive it with `#[derive(ordo::SubLevel)]`; it uses the separator of the
/// top-level key it sits in. See [`TopLevel`] for an example.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a key sub-level",
    label = "a key's last field must be `String`, an integer, or a type deriving `ordo::SubLevel`",
    note = "add `#[derive(ordo::SubLevel)]` to `{Self}`"
)]
pub trait SubLevel: __private::KeyLevel {}

/// Support for the derive macros; not a public API.
#[doc(hidden)]
pub mod __private {
    use std::fmt;
    use std::path::Path;

    pub use super::part::{FieldRef, KeyPart};
    use super::{KeyError, TopLevel};
    /// The arrow crate of [`KeyLevel::key_fields`].
    pub use arrow;

    /// What the derive macros implement for each level.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a key level",
        label = "a key's last field must be `String`, an integer, or a type deriving `ordo::SubLevel`",
        note = "add `#[derive(ordo::SubLevel)]` to `{Self}`"
    )]
    pub trait KeyLevel: Sized {
        /// The type's name, for errors.
        const NAME: &'static str;
        /// Directory levels from this one down.
        const LEVELS: usize;
        /// Number of fields of each level from this one down, top first.
        fn level_widths(out: &mut Vec<usize>);
        /// The name and Arrow type of every leaf field from this level
        /// down, top first (see [`KeyPart::arrow_type`]).
        fn key_fields(out: &mut Vec<(&'static str, arrow::datatypes::DataType)>);
        /// Validates and appends one directory name per level.
        fn write_dirs(&self, sep: char, dirs: &mut Vec<String>) -> Result<(), KeyError>;
        /// Builds the key from the parts of each level (already split and
        /// counted), top first.
        fn from_dirs(dirs: &[Vec<&str>], sep: char) -> Result<Self, KeyError>;
        /// Writes every field of every level joined by `sep`, unvalidated.
        fn fmt_fields(&self, sep: char, f: &mut fmt::Formatter<'_>) -> fmt::Result;
    }

    fn split_checked<'a>(
        text: &'a str,
        sep: char,
        key: &'static str,
        expected: usize,
    ) -> Result<Vec<&'a str>, KeyError> {
        let parts: Vec<&str> = text.split(sep).collect();
        if parts.len() != expected {
            return Err(KeyError::WrongNumberOfParts {
                key,
                part: text.to_owned(),
                sep,
                expected,
                found: parts.len(),
            });
        }
        Ok(parts)
    }

    /// `from_path` of every key type.
    pub fn parse_path<K: KeyLevel>(path: &Path, sep: char) -> Result<K, KeyError> {
        let bad = || KeyError::BadPath {
            key: K::NAME,
            path: path.to_string_lossy().into_owned(),
        };
        let text = path.to_str().ok_or_else(bad)?;
        // Split the text rather than use `Path::components`, which would
        // silently normalize `a//b`, `a/./b` or a trailing `/`.
        let comps: Vec<&str> = text.split(std::path::is_separator).collect();
        if path.is_absolute()
            || comps
                .iter()
                .any(|c| c.is_empty() || *c == "." || *c == "..")
        {
            return Err(bad());
        }
        if comps.len() < K::LEVELS {
            return Err(KeyError::MissingLevels {
                key: K::NAME,
                path: text.to_owned(),
                expected: K::LEVELS,
                found: comps.len(),
            });
        }
        if comps.len() > K::LEVELS {
            return Err(KeyError::LeftoverParts {
                key: K::NAME,
                path: text.to_owned(),
                expected: K::LEVELS,
                leftover: comps[K::LEVELS..].join("/"),
            });
        }
        let mut widths = Vec::with_capacity(K::LEVELS);
        K::level_widths(&mut widths);
        let dirs = comps
            .iter()
            .zip(&widths)
            .map(|(comp, &width)| split_checked(comp, sep, K::NAME, width))
            .collect::<Result<Vec<_>, _>>()?;
        K::from_dirs(&dirs, sep)
    }

    /// `FromStr` of every top-level key: the `Display` form.
    pub fn parse_display<K: TopLevel>(text: &str) -> Result<K, KeyError> {
        let mut widths = Vec::with_capacity(K::LEVELS);
        K::level_widths(&mut widths);
        let total = widths.iter().sum();
        let parts = split_checked(text, K::SEP, K::NAME, total)?;
        let mut rest = &parts[..];
        let dirs = widths
            .iter()
            .map(|&w| {
                let (head, tail) = rest.split_at(w);
                rest = tail;
                head.to_vec()
            })
            .collect::<Vec<_>>();
        K::from_dirs(&dirs, K::SEP)
    }

    /// Parses one leaf field.
    pub fn parse_field<T: KeyPart>(text: &str, at: FieldRef) -> Result<T, KeyError> {
        T::parse_part(text, at)
    }

    /// Validates and appends one leaf field, preceded by `sep` unless first.
    pub fn write_field<T: KeyPart>(
        value: &T,
        at: FieldRef,
        first: bool,
        out: &mut String,
    ) -> Result<(), KeyError> {
        if !first {
            out.push(at.sep);
        }
        value.write_part(at, out)
    }

    /// Writes one leaf field for `Display`, preceded by `sep` unless first.
    pub fn fmt_field<T: KeyPart>(
        value: &T,
        sep: char,
        first: bool,
        f: &mut fmt::Formatter<'_>,
    ) -> fmt::Result {
        if !first {
            fmt::Write::write_char(f, sep)?;
        }
        value.fmt_part(f)
    }
}
