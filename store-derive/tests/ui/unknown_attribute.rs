use ordo::TopLevel;

#[derive(TopLevel)]
#[ordo(separator = "-")]
struct Key {
    city: String,
}

fn main() {}
