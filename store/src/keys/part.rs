//! One field of a key: the leaf types (`String` and the integer primitives)
//! and their validation, printing and strict parsing.

use std::fmt;

use super::KeyError;

/// Identifies a field for error messages.
#[derive(Debug, Clone, Copy)]
pub struct FieldRef {
    /// The key type's name.
    pub key: &'static str,
    /// The field's name.
    pub field: &'static str,
    /// The key's separator.
    pub sep: char,
}

/// A value that can be one field of a key: `String` or an integer primitive.
///
/// Implemented by ordo for exactly those types; the derive macros accept no
/// others, so this trait is sealed in practice.
pub trait KeyPart: Sized {
    /// Appends the canonical text of `self` to `out`, checking it is valid.
    fn write_part(&self, at: FieldRef, out: &mut String) -> Result<(), KeyError>;
    /// Parses `text` strictly: the result prints back to exactly `text`.
    fn parse_part(text: &str, at: FieldRef) -> Result<Self, KeyError>;
    /// Writes the value without validation (for `Display`).
    fn fmt_part(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
    /// The Arrow type showing the field in tables (the SQL catalog):
    /// `Utf8` for strings and for 128-bit integers, which Arrow has no
    /// integer type for; the integer type of the same width otherwise.
    fn arrow_type() -> arrow::datatypes::DataType;
}

/// Checks one string field against the rules of DESIGN section 2.
pub fn check_text(value: &str, at: FieldRef) -> Result<(), KeyError> {
    if value.is_empty() {
        return Err(KeyError::Empty {
            key: at.key,
            field: at.field,
        });
    }
    if let Some(ch) = value.chars().find(|&c| is_forbidden(c)) {
        return Err(KeyError::ForbiddenChar {
            key: at.key,
            field: at.field,
            value: value.to_owned(),
            ch,
        });
    }
    if value.contains(at.sep) {
        return Err(KeyError::ContainsSeparator {
            key: at.key,
            field: at.field,
            value: value.to_owned(),
            sep: at.sep,
        });
    }
    if value.starts_with('_') {
        return Err(KeyError::LeadingUnderscore {
            key: at.key,
            field: at.field,
            value: value.to_owned(),
        });
    }
    Ok(())
}

/// Characters no field may hold: path separators of every platform, `.`
/// (rules out `.`/`..` and hidden names), NUL and control characters.
pub fn is_forbidden(c: char) -> bool {
    matches!(c, '/' | '\\' | '.') || c.is_control()
}

impl KeyPart for String {
    fn write_part(&self, at: FieldRef, out: &mut String) -> Result<(), KeyError> {
        check_text(self, at)?;
        out.push_str(self);
        Ok(())
    }

    fn parse_part(text: &str, at: FieldRef) -> Result<Self, KeyError> {
        check_text(text, at)?;
        Ok(text.to_owned())
    }

    fn fmt_part(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }

    fn arrow_type() -> arrow::datatypes::DataType {
        arrow::datatypes::DataType::Utf8
    }
}

macro_rules! int_part {
    ($($t:ty => $arrow:expr),*) => {$(
        impl KeyPart for $t {
            fn write_part(&self, at: FieldRef, out: &mut String) -> Result<(), KeyError> {
                let text = self.to_string();
                if text.contains(at.sep) {
                    return Err(KeyError::ContainsSeparator {
                        key: at.key,
                        field: at.field,
                        value: text,
                        sep: at.sep,
                    });
                }
                out.push_str(&text);
                Ok(())
            }

            fn parse_part(text: &str, at: FieldRef) -> Result<Self, KeyError> {
                let bad = || KeyError::BadInteger {
                    key: at.key,
                    field: at.field,
                    value: text.to_owned(),
                    ty: stringify!($t),
                };
                let value: $t = text.parse().map_err(|_| bad())?;
                // Only the canonical form is accepted ("+1", "007", "-0" are
                // not), so that parsing and printing are inverse.
                if value.to_string() != text {
                    return Err(bad());
                }
                Ok(value)
            }

            fn fmt_part(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }

            fn arrow_type() -> arrow::datatypes::DataType {
                $arrow
            }
        }
    )*};
}

int_part!(
    i8 => arrow::datatypes::DataType::Int8,
    i16 => arrow::datatypes::DataType::Int16,
    i32 => arrow::datatypes::DataType::Int32,
    i64 => arrow::datatypes::DataType::Int64,
    i128 => arrow::datatypes::DataType::Utf8,
    isize => arrow::datatypes::DataType::Int64,
    u8 => arrow::datatypes::DataType::UInt8,
    u16 => arrow::datatypes::DataType::UInt16,
    u32 => arrow::datatypes::DataType::UInt32,
    u64 => arrow::datatypes::DataType::UInt64,
    u128 => arrow::datatypes::DataType::Utf8,
    usize => arrow::datatypes::DataType::UInt64
);

#[cfg(test)]
mod tests {
    use super::*;

    const AT: FieldRef = FieldRef {
        key: "K",
        field: "f",
        sep: '-',
    };

    #[test]
    fn text_rules() {
        assert!(check_text("berlin", AT).is_ok());
        assert!(check_text("Zürich", AT).is_ok());
        assert!(check_text("a_b", AT).is_ok());
        assert!(matches!(check_text("", AT), Err(KeyError::Empty { .. })));
        for bad in ["a/b", "a\\b", "a.b", ".", "..", "a\0b", "a\nb", "a\u{7f}"] {
            assert!(
                matches!(check_text(bad, AT), Err(KeyError::ForbiddenChar { .. })),
                "{bad:?}"
            );
        }
        assert!(matches!(
            check_text("a-b", AT),
            Err(KeyError::ContainsSeparator { sep: '-', .. })
        ));
        assert!(matches!(
            check_text("_x", AT),
            Err(KeyError::LeadingUnderscore { .. })
        ));
    }

    #[test]
    fn integers_are_canonical() {
        assert_eq!(u8::parse_part("255", AT), Ok(255));
        assert_eq!(i32::parse_part("0", AT), Ok(0));
        for bad in ["256", "+1", "007", "-0", " 1", "1 ", "", "x", "1e3"] {
            assert!(
                matches!(u8::parse_part(bad, AT), Err(KeyError::BadInteger { .. }))
                    || matches!(i8::parse_part(bad, AT), Err(KeyError::BadInteger { .. })),
                "{bad:?}"
            );
        }
        assert!(matches!(
            i64::parse_part("-0", AT),
            Err(KeyError::BadInteger { ty: "i64", .. })
        ));
        let mut out = String::new();
        assert!(matches!(
            (-5i32).write_part(AT, &mut out),
            Err(KeyError::ContainsSeparator { .. })
        ));
        let tilde = FieldRef { sep: '~', ..AT };
        (-5i32).write_part(tilde, &mut out).unwrap();
        assert_eq!(out, "-5");
        assert_eq!(i32::parse_part("-5", tilde), Ok(-5));
    }
}
