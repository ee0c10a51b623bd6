use ordo::TopLevel;

#[derive(TopLevel)]
struct Key {
    name: String,
    ratio: f64,
    flag: bool,
    tags: Vec<String>,
}

fn main() {}
