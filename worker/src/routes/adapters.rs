//! `POST /api/v1/ingest/{format}`: the seed systems' own formats, read by the adapters in
//! `evident_shared::adapters` and then stored exactly like native events. The answer lists every
//! record that could not be read and every line that was skipped, each with its line number.

use evident_shared::adapters::{adapt, AdaptError, Format, Hint};
use worker::{Env, Request, Response};

use crate::auth::authorize;
use crate::derived_keys::{key_derived, secret};
use crate::error::{ApiError, Result};
use crate::ingest::read_adapted;
use crate::routes::events::{query_pairs, random_bytes, read_body, store_received, IngestOptions};
use crate::signed_cursor::tenant_key;
use evident_shared::roles::Power;

pub async fn ingest(mut req: Request, env: &Env, format: &str) -> Result<Response> {
    let caller = authorize(&req, env, Power::SendEvents).await?;
    let format = Format::parse(format).ok_or_else(|| {
        let known: Vec<_> = Format::ALL.iter().map(|f| f.as_str()).collect();
        ApiError::NotFound(format!(
            "there is no `{format}` adapter; the formats are {}",
            known.join(", ")
        ))
    })?;
    let options = IngestOptions::read(&req, &["atomic", "file_name"])?;
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    let file_name = query_pairs(&req)?
        .into_iter()
        .find(|(k, _)| k == "file_name")
        .map(|(_, v)| v);
    let body = read_body(&mut req).await?;
    let hint = Hint {
        content_type: &content_type,
        file_name: file_name.as_deref(),
    };
    let mut adapted = adapt(format, &body, hint).map_err(adapt_error)?;
    let tenant_key = tenant_key(&env.d1("DB")?, &caller.tenant).await?;
    key_derived(&mut adapted, format, &secret(&tenant_key));
    let random = random_bytes()?;
    let received = read_adapted(
        adapted,
        options.arrival(&caller.tenant, format.as_str(), &random),
    )?;
    store_received(received, &req, env, &caller).await
}

fn adapt_error(err: AdaptError) -> ApiError {
    ApiError::request(err.is_too_large(), err.code(), err.to_string())
}
