// A wrong output type is reported in the body, not at the attribute.
#[gmp::main]
async fn main() -> Result<(), String> {
    if std::env::args().count() > 3 {
        return Err(5);
    }
    Ok(())
}
