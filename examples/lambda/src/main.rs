//! The HighLevel webhook service as an AWS Lambda function, behind an API Gateway REST API,
//! an HTTP API or a Function URL: `lambda_http` turns each event into an `http` request (a
//! base64-encoded body decoded back to its exact bytes), the service verifies and answers.

use ghl_webhook_lambda_example::webhooks;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(webhooks()).await
}
