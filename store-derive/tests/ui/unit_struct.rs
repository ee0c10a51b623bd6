use ordo::TopLevel;

#[derive(TopLevel)]
struct Key;

fn main() {}
