//! `GET /api/v1/health`: answers 200 when the worker runs and its database answers. No key needed,
//! nothing about the data revealed.

use evident_shared::api::Health;
use worker::{Env, Response};

use crate::error::Result;
use crate::{respond, store};

pub async fn get(env: &Env) -> Result<Response> {
    store::ping(&env.d1("DB")?).await?;
    Ok(respond::json(
        200,
        &Health {
            status: "ok".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
    ))
}
