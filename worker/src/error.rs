//! The one error type of the HTTP API and the one place it becomes a response: a status code and the
//! JSON envelope `{"error": {"code", "message", "errors"?}}`. Internal details are logged, never sent.

use evident_shared::api::{ErrorBody, ErrorDetail};
use evident_shared::FieldError;
use worker::Response;

/// Result alias for handlers.
pub type Result<T> = std::result::Result<T, ApiError>;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed; `code` says how.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// 401: no credential, or one that is not valid.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: a valid credential without the needed scope.
    #[error("{0}")]
    Forbidden(String),
    /// 404: nothing at this path, or no such resource for this tenant.
    #[error("{0}")]
    NotFound(String),
    /// 410: it existed but no longer works (a used or expired invite).
    #[error("{0}")]
    Gone(String),
    /// 429: too many attempts (failed sign-ins); the message says how long to wait.
    #[error("{0}")]
    TooManyRequests(String),
    /// 405: the path exists with other methods.
    #[error("{method} is not allowed here; use {allowed}")]
    MethodNotAllowed {
        method: String,
        allowed: &'static str,
    },
    /// 413: a size or count limit.
    #[error("{message}")]
    TooLarge { code: &'static str, message: String },
    /// 415: a body in a content type this endpoint does not read.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 409: the request conflicts with what is stored (a name already taken, a limit reached).
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        errors: Vec<FieldError>,
    },
    /// 422: well-formed but invalid input, with every field problem.
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        errors: Vec<FieldError>,
    },
    /// 500: a fault on our side; the detail goes to the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A problem with the request as a whole: 413 for a size or count limit, 400 otherwise.
    pub fn request(too_large: bool, code: &'static str, message: String) -> ApiError {
        if too_large {
            ApiError::TooLarge { code, message }
        } else {
            ApiError::BadRequest { code, message }
        }
    }

    /// A search query (`q`) that cannot be read or searched: 400, with the span in the message.
    pub fn query(err: evident_shared::query::QueryError) -> ApiError {
        ApiError::BadRequest {
            code: "invalid_query",
            message: format!("`q`: {err}"),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest { .. } => 400,
            ApiError::Unauthorized(_) => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Conflict { .. } => 409,
            ApiError::TooLarge { .. } => 413,
            ApiError::UnsupportedMediaType(_) => 415,
            ApiError::Invalid { .. } => 422,
            ApiError::Gone(_) => 410,
            ApiError::TooManyRequests(_) => 429,
            ApiError::Internal(_) => 500,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. }
            | ApiError::TooLarge { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Invalid { code, .. } => code,
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Gone(_) => "gone",
            ApiError::TooManyRequests(_) => "too_many_requests",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The envelope sent to the client.
    pub fn body(&self) -> ErrorBody {
        let (message, errors) = match self {
            ApiError::Internal(_) => (
                "something went wrong on our side; it has been logged".to_string(),
                vec![],
            ),
            ApiError::Invalid {
                message, errors, ..
            }
            | ApiError::Conflict {
                message, errors, ..
            } => (message.clone(), errors.clone()),
            other => (other.to_string(), vec![]),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message,
                errors,
            },
        }
    }

    /// Logs internal faults and renders the response.
    pub fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            worker::console_error!("internal error: {detail}");
        }
        let json = serde_json::to_string(&self.body()).unwrap_or_default();
        crate::respond::json_text(self.status(), json)
    }
}

impl From<worker::Error> for ApiError {
    fn from(err: worker::Error) -> Self {
        ApiError::Internal(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_detail_is_never_in_the_body() {
        let body = ApiError::Internal("D1_ERROR: no such table: secrets".into()).body();
        assert_eq!(body.error.code, "internal");
        assert!(!body.error.message.contains("secrets"));
    }

    #[test]
    fn statuses_and_codes() {
        let e = ApiError::TooLarge {
            code: "too_many_events",
            message: "x".into(),
        };
        assert_eq!((e.status(), e.code()), (413, "too_many_events"));
        assert_eq!(ApiError::UnsupportedMediaType("x".into()).status(), 415);
        let e = ApiError::Conflict {
            code: "duplicate_name",
            message: "x".into(),
            errors: vec![FieldError::new("/name", "taken")],
        };
        assert_eq!((e.status(), e.code()), (409, "duplicate_name"));
        assert_eq!(e.body().error.errors.len(), 1);
    }
}
