use ordo::TopLevel;

#[derive(TopLevel)]
struct Key(String, u32);

fn main() {}
