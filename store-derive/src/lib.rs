//! Derive macros for ordo keys: `#[derive(TopLevel)]` and
//! `#[derive(SubLevel)]`.
//!
//! Use them through the `ordo` crate, which re-exports them next to the
//! traits of the same names; the generated code refers to `::ordo`.
//!
//! The input is parsed into a small AST ([`ast`]), validated with errors
//! that carry the span of the offending item (all of them reported at
//! once), then expanded ([`expand`]).

mod ast;
mod attr;
mod ctxt;
mod expand;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `ordo::TopLevel`, `Display` and `FromStr` for a key struct.
///
/// Fields are `String` or integer primitives; the last may be a type that
/// derives `SubLevel`. `#[ordo(sep = "_")]` sets the separator (one
/// character; `-` by default).
#[proc_macro_derive(TopLevel, attributes(ordo))]
pub fn derive_top_level(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    ast::Key::from_input(&input, ast::Kind::Top)
        .map(|key| expand::expand(&key))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Derives `ordo::SubLevel` for a nested level of a key struct.
///
/// Same field rules as `TopLevel`; the separator is the top-level key's.
#[proc_macro_derive(SubLevel, attributes(ordo))]
pub fn derive_sub_level(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    ast::Key::from_input(&input, ast::Kind::Sub)
        .map(|key| expand::expand(&key))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
