use ordo::TopLevel;

#[derive(TopLevel)]
struct Key<T> {
    city: String,
    marker: std::marker::PhantomData<T>,
}

fn main() {}
