//! The error type of key validation and parsing.

/// Why a key could not be turned into a path, or a path into a key.
///
/// Every variant names the key type (`key`) and, where one is involved, the
/// field and the offending value, so the message alone locates the problem.
///
/// ```
/// use ordo_store::keys::KeyError;
/// let err = KeyError::Empty { key: "Measure", field: "city" };
/// assert_eq!(err.to_string(), "field `city` of key `Measure` is empty");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A string field is empty.
    #[error("field `{field}` of key `{key}` is empty")]
    Empty {
        /// The key type.
        key: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A field holds a character that would make the path ambiguous or
    /// unsafe: `/`, `\`, `.`, NUL or another control character.
    #[error(
        "field `{field}` of key `{key}` is {value:?}, which contains the forbidden character {ch:?}"
    )]
    ForbiddenChar {
        /// The key type.
        key: &'static str,
        /// The field.
        field: &'static str,
        /// The offending value.
        value: String,
        /// The first forbidden character found.
        ch: char,
    },
    /// A field holds the key's separator (for integers: a negative number
    /// while the separator is `-`).
    #[error("field `{field}` of key `{key}` is {value:?}, which contains the separator {sep:?}")]
    ContainsSeparator {
        /// The key type.
        key: &'static str,
        /// The field.
        field: &'static str,
        /// The offending value, as it would be printed.
        value: String,
        /// The separator of the key.
        sep: char,
    },
    /// A string field starts with `_`, which is reserved for ordo's own files.
    #[error(
        "field `{field}` of key `{key}` is {value:?}, which starts with `_` (reserved for ordo's own files)"
    )]
    LeadingUnderscore {
        /// The key type.
        key: &'static str,
        /// The field.
        field: &'static str,
        /// The offending value.
        value: String,
    },
    /// A path part is not the canonical decimal form of the field's integer
    /// type (out of range, a sign or leading zero that would not print back).
    #[error("field `{field}` of key `{key}`: {value:?} is not a canonical `{ty}`")]
    BadInteger {
        /// The key type.
        key: &'static str,
        /// The field.
        field: &'static str,
        /// The offending text.
        value: String,
        /// The integer type of the field.
        ty: &'static str,
    },
    /// A directory name (or, for `FromStr`, the whole text) splits into a
    /// different number of parts than the key level has fields.
    #[error(
        "{part:?} splits into {found} part(s) on {sep:?}, but `{key}` expects {expected} there"
    )]
    WrongNumberOfParts {
        /// The key type.
        key: &'static str,
        /// The directory name or text being parsed.
        part: String,
        /// The separator of the key.
        sep: char,
        /// How many fields that level has.
        expected: usize,
        /// How many parts were found.
        found: usize,
    },
    /// A path has fewer directory levels than the key's `DEPTH`.
    #[error("path {path:?} has {found} level(s), but key `{key}` needs {expected}")]
    MissingLevels {
        /// The key type.
        key: &'static str,
        /// The path being parsed.
        path: String,
        /// The key's depth.
        expected: usize,
        /// The number of levels found.
        found: usize,
    },
    /// A path has more directory levels than the key's `DEPTH`.
    #[error(
        "path {path:?} has leftover part(s) {leftover:?} after the {expected} level(s) of key `{key}`"
    )]
    LeftoverParts {
        /// The key type.
        key: &'static str,
        /// The path being parsed.
        path: String,
        /// The key's depth.
        expected: usize,
        /// What is left over.
        leftover: String,
    },
    /// A path is absolute, not valid UTF-8, or has an empty, `.` or `..`
    /// component.
    #[error("path {path:?} is not a relative path of plain names (key `{key}`)")]
    BadPath {
        /// The key type.
        key: &'static str,
        /// The path, lossily converted to text.
        path: String,
    },
}
