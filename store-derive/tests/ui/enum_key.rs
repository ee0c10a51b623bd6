use ordo::TopLevel;

#[derive(TopLevel)]
enum Key {
    A,
    B,
}

fn main() {}
