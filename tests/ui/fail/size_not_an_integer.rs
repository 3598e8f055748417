// The size must be an integer: the error points at the expression, and the function still
// exists (its call in `main` adds no error).
#[profkit::profile(size = items)]
fn total(items: Vec<u8>) -> usize {
    items.len()
}

#[profkit::profile(size = name.len() as f64)]
async fn greet(name: String) -> String {
    name
}

fn main() {
    assert_eq!(total(vec![1, 2]), 2);
    let _ = greet(String::new());
}
