//! The evidence bucket through the AWS SDK: [`Objects`] on S3.
//!
//! The endpoint, region and credentials come from the environment as the
//! SDK reads them (the Lambda role; `AWS_ENDPOINT_URL` for the local S3 in
//! tests, addressed path-style there). Errors keep the SDK's error code,
//! never an object's content.

use crate::{Fetched, ObjectError, Objects};
use aws_sdk_s3::Client;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_s3::primitives::ByteStream;

/// One bucket, through one client.
#[derive(Debug, Clone)]
pub struct S3Objects {
    client: Client,
    bucket: String,
}

impl S3Objects {
    pub fn new(client: Client, bucket: impl Into<String>) -> S3Objects {
        S3Objects {
            client,
            bucket: bucket.into(),
        }
    }

    /// A client from the environment; path-style when an endpoint is set
    /// (a local S3 has no per-bucket host names).
    pub async fn from_env(bucket: impl Into<String>) -> S3Objects {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let local = std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(local)
            .build();
        S3Objects::new(Client::from_conf(config), bucket)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

fn failed<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    what: &str,
    e: aws_sdk_s3::error::SdkError<E>,
) -> ObjectError {
    let code = e.code().unwrap_or("no code").to_string();
    ObjectError(format!(
        "{what}: {code} ({})",
        DisplayErrorContext(&e)
            .to_string()
            .chars()
            .take(300)
            .collect::<String>()
    ))
}

impl Objects for S3Objects {
    async fn get(&self, key: &str, max_bytes: u64) -> Result<Fetched, ObjectError> {
        let answer = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        let output = match answer {
            Ok(output) => output,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                return Ok(Fetched::Missing);
            }
            Err(e) => return Err(failed("GetObject", e)),
        };
        let size = output.content_length().unwrap_or(0).max(0) as u64;
        if size > max_bytes {
            return Ok(Fetched::TooLarge(size));
        }
        let body = output
            .body
            .collect()
            .await
            .map_err(|e| ObjectError(format!("GetObject body: {e}")))?;
        let bytes = body.into_bytes().to_vec();
        // The length header said otherwise, or there was none.
        if bytes.len() as u64 > max_bytes {
            return Ok(Fetched::TooLarge(bytes.len() as u64));
        }
        Ok(Fetched::Bytes(bytes))
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), ObjectError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| failed("PutObject", e))
    }

    async fn delete(&self, key: &str) -> Result<(), ObjectError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| failed("DeleteObject", e))
    }
}
