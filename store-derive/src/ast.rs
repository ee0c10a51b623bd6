//! The internal AST: a key struct with its leaf fields and optional
//! trailing sub-level, validated with spanned errors.

use syn::{Data, DeriveInput, Fields, Ident, Type, spanned::Spanned};

use crate::attr;
use crate::ctxt::Errors;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Top,
    Sub,
}

pub struct Key<'a> {
    pub kind: Kind,
    pub ident: &'a Ident,
    pub generics: &'a syn::Generics,
    pub sep: char,
    /// `String` and integer fields, in order.
    pub leaves: Vec<Field<'a>>,
    /// The last field, when its type is another key level.
    pub sub: Option<Field<'a>>,
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
}

const INTEGERS: &[&str] = &[
    "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
];

enum FieldClass {
    Leaf,
    MaybeSub,
    Unsupported,
}

fn classify(ty: &Type) -> FieldClass {
    let Type::Path(path) = ty else {
        return FieldClass::Unsupported;
    };
    if path.qself.is_some() {
        return FieldClass::Unsupported;
    }
    let Some(last) = path.path.segments.last() else {
        return FieldClass::Unsupported;
    };
    if !last.arguments.is_none() {
        return FieldClass::Unsupported;
    }
    let name = last.ident.to_string();
    if name == "String" || INTEGERS.contains(&name.as_str()) {
        FieldClass::Leaf
    } else if matches!(name.as_str(), "f32" | "f64" | "bool" | "char" | "str") {
        FieldClass::Unsupported
    } else {
        FieldClass::MaybeSub
    }
}

impl<'a> Key<'a> {
    pub fn from_input(input: &'a DeriveInput, kind: Kind) -> syn::Result<Self> {
        let derive = match kind {
            Kind::Top => "TopLevel",
            Kind::Sub => "SubLevel",
        };
        let fields = match &input.data {
            Data::Struct(data) => &data.fields,
            Data::Enum(e) => {
                return Err(syn::Error::new(
                    e.enum_token.span,
                    format!(
                        "{derive} can only be derived for a struct with named fields, not an enum"
                    ),
                ));
            }
            Data::Union(u) => {
                return Err(syn::Error::new(
                    u.union_token.span,
                    format!(
                        "{derive} can only be derived for a struct with named fields, not a union"
                    ),
                ));
            }
        };
        let named = match fields {
            Fields::Named(named) if !named.named.is_empty() => named,
            Fields::Named(_) | Fields::Unit => {
                return Err(syn::Error::new(
                    input.ident.span(),
                    format!("{derive} needs at least one named field"),
                ));
            }
            Fields::Unnamed(unnamed) => {
                return Err(syn::Error::new(
                    unnamed.span(),
                    format!(
                        "{derive} can only be derived for a struct with named fields, not a tuple struct"
                    ),
                ));
            }
        };

        let mut errors = Errors::default();
        if !input.generics.params.is_empty() {
            errors.push(syn::Error::new(
                input.generics.span(),
                format!("{derive} cannot be derived for a generic struct"),
            ));
        }
        let attrs = attr::container(&input.attrs, kind == Kind::Top, &mut errors);
        let count = named.named.len();
        let mut leaves = Vec::new();
        let mut sub = None;
        for (i, f) in named.named.iter().enumerate() {
            attr::field(&f.attrs, &mut errors);
            let field = Field {
                ident: f.ident.as_ref().expect("named field"),
                ty: &f.ty,
            };
            match classify(&f.ty) {
                FieldClass::Leaf => leaves.push(field),
                FieldClass::MaybeSub if i + 1 == count => sub = Some(field),
                FieldClass::MaybeSub => errors.push(syn::Error::new(
                    f.ty.span(),
                    "only the last field may be a sub-level (a type deriving SubLevel); \
                     other fields must be `String` or an integer primitive",
                )),
                FieldClass::Unsupported => errors.push(syn::Error::new(
                    f.ty.span(),
                    "unsupported key field type: use `String`, an integer primitive, \
                     or (last field only) a type deriving SubLevel",
                )),
            }
        }
        if leaves.is_empty() && sub.is_some() {
            errors.push(syn::Error::new(
                input.ident.span(),
                format!(
                    "{derive} needs at least one `String` or integer field before its sub-level"
                ),
            ));
        }
        errors.finish()?;
        Ok(Key {
            kind,
            ident: &input.ident,
            generics: &input.generics,
            sep: attrs.sep,
            leaves,
            sub,
        })
    }
}
