use ordo::TopLevel;

#[derive(TopLevel)]
#[ordo(sep = "")]
struct Empty {
    city: String,
}

#[derive(TopLevel)]
#[ordo(sep = "--")]
struct Long {
    city: String,
}

#[derive(TopLevel)]
#[ordo(sep = "x")]
struct Letter {
    city: String,
}

#[derive(TopLevel)]
#[ordo(sep = "/")]
struct Slash {
    city: String,
}

fn main() {}
