//! Code generation from the validated AST.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{Key, Kind};

pub fn expand(key: &Key<'_>) -> TokenStream {
    let level = expand_level(key);
    let extra = match key.kind {
        Kind::Top => expand_top(key),
        Kind::Sub => {
            let ident = key.ident;
            quote!(impl ::ordo::SubLevel for #ident {})
        }
    };
    quote! {
        #[automatically_derived]
        const _: () = {
            #level
            #extra
        };
    }
}

fn expand_level(key: &Key<'_>) -> TokenStream {
    let ident = key.ident;
    let (impl_generics, ty_generics, where_clause) = key.generics.split_for_impl();
    let name = ident.to_string();
    let width = key.leaves.len();
    let p = quote!(::ordo::__private);

    let at = |field: &syn::Ident| {
        let field = field.to_string();
        quote!(#p::FieldRef { key: #name, field: #field, sep })
    };
    let writes = key.leaves.iter().enumerate().map(|(i, f)| {
        let (fid, at, first) = (f.ident, at(f.ident), i == 0);
        quote!(#p::write_field(&self.#fid, #at, #first, &mut dir)?;)
    });
    let fmts = key.leaves.iter().enumerate().map(|(i, f)| {
        let (fid, first) = (f.ident, i == 0);
        quote!(#p::fmt_field(&self.#fid, sep, #first, f)?;)
    });
    let fields = key.leaves.iter().map(|f| {
        let (name, ty) = (f.ident.to_string(), f.ty);
        quote!(out.push((#name, <#ty as #p::KeyPart>::arrow_type()));)
    });
    let parses = key.leaves.iter().enumerate().map(|(i, f)| {
        let (fid, at) = (f.ident, at(f.ident));
        quote!(#fid: #p::parse_field(dirs[0][#i], #at)?,)
    });

    let (sub_depth, sub_widths, sub_fields, sub_write, sub_parse, sub_fmt, sub_assert) =
        match &key.sub {
            None => Default::default(),
            Some(sub) => {
                let (fid, ty) = (sub.ident, sub.ty);
                (
                    quote!(+ <#ty as #p::KeyLevel>::LEVELS),
                    quote!(<#ty as #p::KeyLevel>::level_widths(out);),
                    quote!(<#ty as #p::KeyLevel>::key_fields(out);),
                    quote!(#p::KeyLevel::write_dirs(&self.#fid, sep, dirs)?;),
                    quote!(#fid: <#ty as #p::KeyLevel>::from_dirs(&dirs[1..], sep)?,),
                    quote!(
                        ::core::fmt::Write::write_char(f, sep)?;
                        #p::KeyLevel::fmt_fields(&self.#fid, sep, f)?;
                    ),
                    // Points a missing `SubLevel` impl at the field's type.
                    quote_spanned!(ty.span()=> fn __assert_sub_level<T: ::ordo::SubLevel>() {}
                    __assert_sub_level::<#ty>();),
                )
            }
        };

    quote! {
        impl #impl_generics #p::KeyLevel for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;
            const LEVELS: usize = 1 #sub_depth;

            fn level_widths(out: &mut ::std::vec::Vec<usize>) {
                out.push(#width);
                #sub_widths
            }

            fn key_fields(
                out: &mut ::std::vec::Vec<(&'static str, #p::arrow::datatypes::DataType)>,
            ) {
                #(#fields)*
                #sub_fields
            }

            fn write_dirs(
                &self,
                sep: char,
                dirs: &mut ::std::vec::Vec<::std::string::String>,
            ) -> ::core::result::Result<(), ::ordo::KeyError> {
                #sub_assert
                let mut dir = ::std::string::String::new();
                #(#writes)*
                dirs.push(dir);
                #sub_write
                ::core::result::Result::Ok(())
            }

            fn from_dirs(
                dirs: &[::std::vec::Vec<&str>],
                sep: char,
            ) -> ::core::result::Result<Self, ::ordo::KeyError> {
                ::core::result::Result::Ok(Self {
                    #(#parses)*
                    #sub_parse
                })
            }

            fn fmt_fields(
                &self,
                sep: char,
                f: &mut ::core::fmt::Formatter<'_>,
            ) -> ::core::fmt::Result {
                #(#fmts)*
                #sub_fmt
                ::core::result::Result::Ok(())
            }
        }
    }
}

fn expand_top(key: &Key<'_>) -> TokenStream {
    let ident = key.ident;
    let sep = key.sep;
    let p = quote!(::ordo::__private);
    quote! {
        impl ::ordo::TopLevel for #ident {
            const SEP: char = #sep;
        }

        impl ::core::fmt::Display for #ident {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                #p::KeyLevel::fmt_fields(self, #sep, f)
            }
        }

        impl ::core::str::FromStr for #ident {
            type Err = ::ordo::KeyError;

            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                #p::parse_display::<Self>(s)
            }
        }
    }
}
