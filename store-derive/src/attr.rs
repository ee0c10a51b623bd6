//! `#[ordo(...)]` attributes.

use syn::{Attribute, LitStr, spanned::Spanned};

use crate::ctxt::Errors;

/// Options read from the container's `#[ordo(...)]` attributes.
pub struct ContainerAttrs {
    pub sep: char,
}

/// The container's options; `top_level` says whether the key is a
/// `TopLevel` (only those take `sep`).
pub fn container(attrs: &[Attribute], top_level: bool, errors: &mut Errors) -> ContainerAttrs {
    let mut out = ContainerAttrs { sep: '-' };
    let mut seen_sep = false;
    for attr in attrs.iter().filter(|a| a.path().is_ident("ordo")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("sep") {
                let lit: LitStr = meta.value()?.parse()?;
                if !top_level {
                    return Err(syn::Error::new(
                        meta.path.span(),
                        "`sep` belongs on the TopLevel key; a SubLevel uses its separator",
                    ));
                }
                if seen_sep {
                    return Err(syn::Error::new(
                        meta.path.span(),
                        "duplicate `sep` attribute",
                    ));
                }
                seen_sep = true;
                match separator(&lit.value()) {
                    Ok(c) => out.sep = c,
                    Err(msg) => errors.push(syn::Error::new(lit.span(), msg)),
                }
                Ok(())
            } else {
                let name = meta
                    .path
                    .get_ident()
                    .map_or_else(|| "this".to_owned(), |i| format!("`{i}`"));
                Err(meta.error(format!(
                    "unknown ordo attribute {name}; expected `sep = \"...\"`"
                )))
            }
        });
        if let Err(err) = result {
            errors.push(err);
        }
    }
    out
}

/// Field attributes: none exist, so any `#[ordo]` on a field is an error.
pub fn field(attrs: &[Attribute], errors: &mut Errors) {
    for attr in attrs.iter().filter(|a| a.path().is_ident("ordo")) {
        errors.push(syn::Error::new(
            attr.span(),
            "ordo takes no field attributes; `#[ordo(sep = \"...\")]` goes on the struct",
        ));
    }
}

/// A separator is one character that cannot occur in a printed field and
/// is safe in a file name.
fn separator(text: &str) -> Result<char, String> {
    let mut chars = text.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return Err(format!(
            "the separator must be exactly one character, got {text:?}"
        ));
    };
    if c.is_alphanumeric() || c.is_whitespace() || c.is_control() || matches!(c, '/' | '\\' | '.') {
        return Err(format!(
            "the separator {c:?} is not allowed: use one character that is not a letter, \
             a digit, whitespace, a control character, `/`, `\\` or `.`"
        ));
    }
    Ok(c)
}
