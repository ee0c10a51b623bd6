use ordo::TopLevel;

#[derive(TopLevel)]
#[ordo(sep)]
struct A {
    city: String,
}

#[derive(TopLevel)]
#[ordo(sep = 1)]
struct B {
    city: String,
}

#[derive(TopLevel)]
#[ordo = "-"]
struct C {
    city: String,
}

fn main() {}
