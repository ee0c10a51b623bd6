use ordo::SubLevel;

#[derive(SubLevel)]
struct Key {}

fn main() {}
