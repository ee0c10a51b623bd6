//! Compile-fail tests for the key derive macros; each `.stderr` is checked
//! in. Regenerate with `TRYBUILD=overwrite cargo test -p ordo-derive --test ui`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
