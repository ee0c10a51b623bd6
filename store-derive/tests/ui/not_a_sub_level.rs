use ordo::TopLevel;

struct Plain {
    frequency: String,
}

#[derive(TopLevel)]
struct Key {
    city: String,
    plain: Plain,
}

fn main() {}
