use ordo::{SubLevel, TopLevel};

#[derive(SubLevel)]
struct Sampling {
    frequency: String,
}

#[derive(TopLevel)]
struct Key {
    sampling: Sampling,
}

fn main() {}
