use ordo::TopLevel;

#[derive(TopLevel)]
struct Key {
    #[ordo(sep = "_")]
    city: String,
}

fn main() {}
