use super::*;
#[allow(unused)]
pub(super) fn adapt(body: &str, hint: Hint<'_>) -> Result<Adapted, AdaptError> {
    todo!()
}
