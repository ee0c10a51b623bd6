//! Keys through the public API: every rule of DESIGN section 2.

use std::path::{Path, PathBuf};

use ordo::{KeyError, SubLevel, TopLevel};

/// An input and a check of the error it must give.
type Case = (&'static str, fn(&KeyError) -> bool);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, SubLevel)]
struct Sampling {
    frequency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, TopLevel)]
struct Measure {
    quantity: String,
    city: String,
    sampling: Sampling,
}

fn measure(q: &str, c: &str, f: &str) -> Measure {
    Measure {
        quantity: q.into(),
        city: c.into(),
        sampling: Sampling {
            frequency: f.into(),
        },
    }
}

#[test]
fn acceptance_example() {
    let key = measure("temperature", "berlin", "1D");
    assert_eq!(Measure::DEPTH, 2);
    assert_eq!(
        key.to_path().unwrap(),
        PathBuf::from("temperature-berlin/1D")
    );
    assert_eq!(key.to_string(), "temperature-berlin-1D");
    assert_eq!(
        Measure::from_path(Path::new("temperature-berlin/1D")).unwrap(),
        key
    );
    assert_eq!("temperature-berlin-1D".parse::<Measure>().unwrap(), key);
    assert_eq!(
        Measure::from_path(Path::new("zz-temperature-berlin/1D")),
        Err(KeyError::WrongNumberOfParts {
            key: "Measure",
            part: "zz-temperature-berlin".into(),
            sep: '-',
            expected: 2,
            found: 3,
        })
    );
}

#[derive(Debug, Clone, PartialEq, Eq, SubLevel)]
struct Leaf {
    run: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, SubLevel)]
struct Middle {
    site: String,
    level: i16,
    leaf: Leaf,
}

#[derive(Debug, Clone, PartialEq, Eq, TopLevel)]
#[ordo(sep = "_")]
struct Deep {
    project: String,
    middle: Middle,
}

#[derive(Debug, Clone, PartialEq, Eq, SubLevel)]
struct Deeper {
    deep: u8,
    leaf: Leaf,
}

#[derive(Debug, Clone, PartialEq, Eq, TopLevel)]
#[ordo(sep = "~")]
struct Four {
    a: String,
    b: Deeper2,
}

#[derive(Debug, Clone, PartialEq, Eq, SubLevel)]
struct Deeper2 {
    x: i64,
    d: Deeper,
}

#[test]
fn three_and_four_levels() {
    let key = Deep {
        project: "alpha".into(),
        middle: Middle {
            site: "north-east".into(),
            level: -3,
            leaf: Leaf { run: 7 },
        },
    };
    assert_eq!(Deep::DEPTH, 3);
    let path = key.to_path().unwrap();
    assert_eq!(path, PathBuf::from("alpha/north-east_-3/7"));
    assert_eq!(key.to_string(), "alpha_north-east_-3_7");
    assert_eq!(Deep::from_path(&path).unwrap(), key);
    assert_eq!(key.to_string().parse::<Deep>().unwrap(), key);

    let four = Four {
        a: "a".into(),
        b: Deeper2 {
            x: -1,
            d: Deeper {
                deep: 0,
                leaf: Leaf { run: 42 },
            },
        },
    };
    assert_eq!(Four::DEPTH, 4);
    assert_eq!(four.to_path().unwrap(), PathBuf::from("a/-1/0/42"));
    assert_eq!(Four::from_path(Path::new("a/-1/0/42")).unwrap(), four);
    assert_eq!("a~-1~0~42".parse::<Four>().unwrap(), four);
}

#[derive(Debug, Clone, PartialEq, Eq, TopLevel)]
struct Ints {
    a: i8,
    b: i16,
    c: i32,
    d: i64,
    e: i128,
    f: isize,
    g: u8,
    h: u16,
    i: u32,
    j: u64,
    k: u128,
    l: usize,
}

#[test]
fn every_integer_type() {
    let key = Ints {
        a: i8::MAX,
        b: i16::MAX,
        c: i32::MAX,
        d: i64::MAX,
        e: i128::MAX,
        f: isize::MAX,
        g: u8::MAX,
        h: u16::MAX,
        i: u32::MAX,
        j: u64::MAX,
        k: u128::MAX,
        l: usize::MAX,
    };
    let path = key.to_path().unwrap();
    assert_eq!(Ints::from_path(&path).unwrap(), key);
    assert_eq!(Ints::DEPTH, 1);
    // Out of range for the field's type.
    let text = path.to_str().unwrap().replacen("127", "128", 1);
    assert!(matches!(
        Ints::from_path(Path::new(&text)),
        Err(KeyError::BadInteger {
            field: "a",
            ty: "i8",
            ..
        })
    ));
}

#[derive(Debug, Clone, PartialEq, Eq, TopLevel)]
#[ordo(sep = "+")]
struct Signed {
    name: String,
    offset: i32,
}

#[test]
fn negative_integer_needs_another_separator() {
    let ok = Signed {
        name: "x".into(),
        offset: -12,
    };
    assert_eq!(ok.to_path().unwrap(), PathBuf::from("x+-12"));
    assert_eq!(Signed::from_path(Path::new("x+-12")).unwrap(), ok);

    #[derive(Debug, TopLevel)]
    struct Dash {
        offset: i32,
    }
    assert_eq!(
        Dash { offset: -1 }.validate(),
        Err(KeyError::ContainsSeparator {
            key: "Dash",
            field: "offset",
            value: "-1".into(),
            sep: '-',
        })
    );
}

#[test]
fn forbidden_values_are_rejected_with_field_and_value() {
    let cases: &[Case] = &[
        ("", |e| matches!(e, KeyError::Empty { field: "city", .. })),
        ("a-b", |e| {
            matches!(
                e,
                KeyError::ContainsSeparator {
                    field: "city",
                    sep: '-',
                    ..
                }
            )
        }),
        ("a/b", |e| {
            matches!(e, KeyError::ForbiddenChar { ch: '/', .. })
        }),
        ("a\\b", |e| {
            matches!(e, KeyError::ForbiddenChar { ch: '\\', .. })
        }),
        (".", |e| {
            matches!(e, KeyError::ForbiddenChar { ch: '.', .. })
        }),
        ("..", |e| {
            matches!(e, KeyError::ForbiddenChar { ch: '.', .. })
        }),
        ("a.b", |e| {
            matches!(e, KeyError::ForbiddenChar { ch: '.', .. })
        }),
        ("a\0b", |e| {
            matches!(e, KeyError::ForbiddenChar { ch: '\0', .. })
        }),
        ("a\tb", |e| {
            matches!(e, KeyError::ForbiddenChar { ch: '\t', .. })
        }),
        ("_hidden", |e| {
            matches!(e, KeyError::LeadingUnderscore { field: "city", .. })
        }),
    ];
    for (value, check) in cases {
        let key = measure("t", value, "1D");
        let err = key.validate().unwrap_err();
        assert!(check(&err), "{value:?}: {err:?}");
        assert_eq!(key.to_path().unwrap_err(), err);
        if !value.is_empty() {
            assert!(err.to_string().contains(&format!("{value:?}")), "{err}");
        }
    }
    // The sub-level is validated too.
    assert!(matches!(
        measure("t", "c", "_x").validate(),
        Err(KeyError::LeadingUnderscore {
            key: "Sampling",
            field: "frequency",
            ..
        })
    ));
    // Underscores elsewhere are fine.
    assert!(measure("t", "a_b", "1D").validate().is_ok());
}

#[test]
fn from_path_is_strict() {
    let cases: &[Case] = &[
        ("temperature-berlin", |e| {
            matches!(
                e,
                KeyError::MissingLevels {
                    expected: 2,
                    found: 1,
                    ..
                }
            )
        }),
        (
            "temperature-berlin/1D/extra",
            |e| matches!(e, KeyError::LeftoverParts { leftover, .. } if leftover == "extra"),
        ),
        ("temperature/1D", |e| {
            matches!(
                e,
                KeyError::WrongNumberOfParts {
                    expected: 2,
                    found: 1,
                    ..
                }
            )
        }),
        ("temperature-berlin/1D-x", |e| {
            matches!(
                e,
                KeyError::WrongNumberOfParts {
                    expected: 1,
                    found: 2,
                    ..
                }
            )
        }),
        ("/temperature-berlin/1D", |e| {
            matches!(e, KeyError::BadPath { .. })
        }),
        ("temperature-berlin//1D", |e| {
            matches!(e, KeyError::BadPath { .. })
        }),
        ("temperature-berlin/1D/", |e| {
            matches!(e, KeyError::BadPath { .. })
        }),
        ("./temperature-berlin/1D", |e| {
            matches!(e, KeyError::BadPath { .. })
        }),
        ("../temperature-berlin/1D", |e| {
            matches!(e, KeyError::BadPath { .. })
        }),
        ("temperature-/1D", |e| {
            matches!(e, KeyError::Empty { field: "city", .. })
        }),
        ("temperature-_x/1D", |e| {
            matches!(e, KeyError::LeadingUnderscore { .. })
        }),
        ("temperature-a.b/1D", |e| {
            matches!(e, KeyError::ForbiddenChar { .. })
        }),
    ];
    for (path, check) in cases {
        let err = Measure::from_path(Path::new(path)).unwrap_err();
        assert!(check(&err), "{path:?}: {err:?}");
    }
}

#[test]
fn from_str_is_strict() {
    assert!(matches!(
        "temperature-berlin".parse::<Measure>(),
        Err(KeyError::WrongNumberOfParts {
            expected: 3,
            found: 2,
            ..
        })
    ));
    assert!(matches!(
        "x-temperature-berlin-1D".parse::<Measure>(),
        Err(KeyError::WrongNumberOfParts {
            expected: 3,
            found: 4,
            ..
        })
    ));
    assert!(matches!(
        "temperature-berlin/x-1D".parse::<Measure>(),
        Err(KeyError::ForbiddenChar { ch: '/', .. })
    ));
}

#[test]
fn integers_parse_only_canonically() {
    #[derive(Debug, PartialEq, TopLevel)]
    struct Id {
        id: u64,
    }
    assert_eq!(Id::from_path(Path::new("10")).unwrap(), Id { id: 10 });
    for bad in ["010", "+10", "1_0", "ten", "18446744073709551616", ""] {
        let err = Id::from_path(Path::new(bad)).unwrap_err();
        assert!(
            matches!(
                err,
                KeyError::BadInteger {
                    field: "id",
                    ty: "u64",
                    ..
                }
            ) || (bad.is_empty() && matches!(err, KeyError::BadPath { .. })),
            "{bad:?}: {err:?}"
        );
    }
}

#[test]
fn keys_order_like_their_fields() {
    let mut keys = [
        measure("t", "paris", "1D"),
        measure("t", "berlin", "1H"),
        measure("t", "berlin", "1D"),
    ];
    keys.sort();
    assert_eq!(keys[0].to_string(), "t-berlin-1D");
    assert_eq!(keys[2].to_string(), "t-paris-1D");
}

#[test]
fn error_messages_are_readable() {
    let err = measure("t", "a/b", "1D").validate().unwrap_err();
    assert_eq!(
        err.to_string(),
        "field `city` of key `Measure` is \"a/b\", which contains the forbidden character '/'"
    );
    let err = Measure::from_path(Path::new("zz-temperature-berlin/1D")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "\"zz-temperature-berlin\" splits into 3 part(s) on '-', but `Measure` expects 2 there"
    );
}
