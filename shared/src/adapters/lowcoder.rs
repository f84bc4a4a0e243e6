use super::*;
#[allow(unused)]
pub(super) fn adapt(body: &str) -> Result<Adapted, AdaptError> {
    todo!()
}
