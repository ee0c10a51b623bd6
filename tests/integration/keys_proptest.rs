//! Property tests: keys and paths are inverse, for several separators.

use std::path::Path;

use ordo::{SubLevel, TopLevel};
use proptest::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, SubLevel)]
struct Sampling {
    frequency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, TopLevel)]
struct Dash {
    quantity: String,
    station: u16,
    sampling: Sampling,
}

#[derive(Debug, Clone, PartialEq, Eq, SubLevel)]
struct Run {
    run: i32,
    name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, SubLevel)]
struct Site {
    site: String,
    run: Run,
}

#[derive(Debug, Clone, PartialEq, Eq, TopLevel)]
#[ordo(sep = "_")]
struct Underscore {
    project: String,
    offset: i64,
    site: Site,
}

#[derive(Debug, Clone, PartialEq, Eq, TopLevel)]
#[ordo(sep = "~")]
struct Tilde {
    a: String,
    b: i8,
    c: String,
}

#[derive(Debug, Clone, PartialEq, Eq, TopLevel)]
#[ordo(sep = "+")]
struct Plus {
    a: String,
    b: u64,
    site: Site,
}

/// The rule of DESIGN section 2 for one string field, written independently
/// of the implementation.
fn text_ok(s: &str, sep: char) -> bool {
    !s.is_empty()
        && !s.starts_with('_')
        && !s.contains(sep)
        && !s
            .chars()
            .any(|c| c == '/' || c == '\\' || c == '.' || c.is_control())
}

fn int_ok(v: i64, sep: char) -> bool {
    !v.to_string().contains(sep)
}

/// Mostly valid text, with every kind of troublemaker mixed in.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9äß日]{1,8}",
        1 => "[a-z_~+.\\-/\\\\\0\t ]{0,4}",
        1 => "_[a-z]{0,3}",
    ]
}

/// Paths built from the characters that matter for parsing.
fn path_text() -> impl Strategy<Value = String> {
    "[a-c0-9_~+./\\-]{0,14}"
}

fn check_roundtrip<K>(key: &K, valid: bool) -> Result<(), TestCaseError>
where
    K: TopLevel + std::fmt::Debug + PartialEq + std::fmt::Display + std::str::FromStr,
    <K as std::str::FromStr>::Err: std::fmt::Debug,
{
    prop_assert_eq!(key.validate().is_ok(), valid, "{:?}", key);
    match key.to_path() {
        Ok(path) => {
            prop_assert!(valid);
            prop_assert_eq!(path.components().count(), K::DEPTH);
            prop_assert_eq!(&K::from_path(&path).unwrap(), key);
            let shown = key.to_string();
            prop_assert_eq!(&shown.parse::<K>().unwrap(), key);
        }
        Err(_) => prop_assert!(!valid),
    }
    Ok(())
}

fn check_path<K: TopLevel + std::fmt::Debug>(text: &str) -> Result<(), TestCaseError> {
    if let Ok(key) = K::from_path(Path::new(text)) {
        let back = key.to_path().expect("a parsed key is valid");
        prop_assert_eq!(back.to_str().unwrap(), text, "{:?}", key);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("ORDO_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
    ))]

    #[test]
    fn dash_keys_roundtrip(q in text(), s in any::<u16>(), f in text()) {
        let valid = text_ok(&q, '-') && text_ok(&f, '-');
        let key = Dash { quantity: q, station: s, sampling: Sampling { frequency: f } };
        check_roundtrip(&key, valid)?;
    }

    #[test]
    fn underscore_keys_roundtrip(
        p in text(), o in any::<i64>(), s in text(), r in any::<i32>(), n in text()
    ) {
        let valid = text_ok(&p, '_') && text_ok(&s, '_') && text_ok(&n, '_');
        let key = Underscore {
            project: p,
            offset: o,
            site: Site { site: s, run: Run { run: r, name: n } },
        };
        check_roundtrip(&key, valid)?;
    }

    #[test]
    fn tilde_and_plus_keys_roundtrip(
        a in text(), b in any::<i8>(), c in text(), u in any::<u64>(), r in any::<i32>()
    ) {
        let valid = text_ok(&a, '~') && text_ok(&c, '~') && int_ok(b.into(), '~');
        check_roundtrip(&Tilde { a: a.clone(), b, c: c.clone() }, valid)?;
        let valid = text_ok(&a, '+') && text_ok(&c, '+');
        let key = Plus { a, b: u, site: Site { site: c.clone(), run: Run { run: r, name: c } } };
        check_roundtrip(&key, valid)?;
    }

    #[test]
    fn dash_keys_with_negative_numbers_are_rejected(r in i32::MIN..0) {
        #[derive(Debug, TopLevel)]
        struct Neg { r: i32 }
        let key = Neg { r };
        prop_assert!(key.validate().is_err());
    }

    #[test]
    fn any_path_parses_back_to_itself_or_fails(text in path_text()) {
        check_path::<Dash>(&text)?;
        check_path::<Underscore>(&text)?;
        check_path::<Tilde>(&text)?;
        check_path::<Plus>(&text)?;
    }

    #[test]
    fn any_display_text_parses_back_to_itself_or_fails(text in path_text()) {
        if let Ok(key) = text.parse::<Tilde>() {
            prop_assert_eq!(key.to_string(), text.as_str());
        }
        if let Ok(key) = text.parse::<Underscore>() {
            prop_assert_eq!(key.to_string(), text.as_str());
        }
    }
}
