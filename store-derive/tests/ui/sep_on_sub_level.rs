use ordo::SubLevel;

#[derive(SubLevel)]
#[ordo(sep = "_")]
struct Sampling {
    frequency: String,
}

fn main() {}
