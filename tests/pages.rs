//! `.stream()` over the paged lists: lazily fetched pages, the end at `total_count`, and
//! a typed error (never an endless loop) from a server that breaks paging.

// Shared with tests/retry.rs; paging uses only scripted answers, not drops or delays.
#[allow(dead_code)]
mod support {
    pub mod scripted;
}

use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt as _, TryStreamExt as _};
use httpmock::{Method::GET, Mock, MockServer};
use lumin::clock::RecordingSleep;
use lumin::limits::PageLimit;
use lumin::pages::PaginationError;
use lumin::retry::RetryPolicy;
use lumin::{Error, types};
use serde_json::{Value, json};
use support::scripted::{self, Answer};

fn client(base_url: &str) -> lumin::Client {
    lumin::ClientBuilder::new()
        .base_url(base_url)
        .api_key("test-key")
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn template(n: u64) -> Value {
    json!({"template_id": format!("t{n}"), "type": "pdf", "name": format!("T{n}"),
           "created_at": 1748456885430_i64, "updated_at": 1748456885430_i64})
}

fn templates(page: u64, from: u64, count: u64, total: u64) -> Value {
    json!({"page": page, "limit": 10, "total_count": total,
           "data": (from..from + count).map(template).collect::<Vec<_>>()})
}

fn page_mock<'a>(server: &'a MockServer, page: u64, body: Value) -> Mock<'a> {
    server.mock(|when, then| {
        when.method(GET)
            .path("/templates")
            .query_param("page", page.to_string())
            .query_param("limit", "10");
        then.status(200)
            .header("content-type", "application/json")
            .json_body(body);
    })
}

async fn ids(client: &lumin::Client) -> lumin::Result<Vec<String>> {
    client
        .list_templates()
        .limit(PageLimit::Ten)
        .stream()
        .map_ok(|t: types::TemplateListItem| t.template_id.unwrap_or_default())
        .try_collect()
        .await
}

fn expected(range: std::ops::Range<u64>) -> Vec<String> {
    range.map(|n| format!("t{n}")).collect()
}

#[tokio::test]
async fn an_empty_list_is_one_request_and_no_items() {
    let server = MockServer::start_async().await;
    let first = page_mock(&server, 1, templates(1, 0, 0, 0));
    let second = page_mock(&server, 2, templates(2, 0, 0, 0));
    assert_eq!(
        ids(&client(&server.base_url())).await.unwrap(),
        expected(0..0)
    );
    first.assert_calls(1);
    second.assert_calls(0);
}

#[tokio::test]
async fn one_partial_page_is_one_request() {
    let server = MockServer::start_async().await;
    let first = page_mock(&server, 1, templates(1, 0, 3, 3));
    let second = page_mock(&server, 2, templates(2, 0, 0, 3));
    assert_eq!(
        ids(&client(&server.base_url())).await.unwrap(),
        expected(0..3)
    );
    first.assert_calls(1);
    second.assert_calls(0);
}

#[tokio::test]
async fn exactly_full_pages_stop_at_the_total_without_asking_for_more() {
    let server = MockServer::start_async().await;
    let first = page_mock(&server, 1, templates(1, 0, 10, 20));
    let second = page_mock(&server, 2, templates(2, 10, 10, 20));
    let third = page_mock(&server, 3, templates(3, 0, 0, 20));
    assert_eq!(
        ids(&client(&server.base_url())).await.unwrap(),
        expected(0..20)
    );
    first.assert_calls(1);
    second.assert_calls(1);
    third.assert_calls(0);
}

#[tokio::test]
async fn a_partial_last_page_ends_the_list() {
    let server = MockServer::start_async().await;
    page_mock(&server, 1, templates(1, 0, 10, 23));
    page_mock(&server, 2, templates(2, 10, 10, 23));
    let third = page_mock(&server, 3, templates(3, 20, 3, 23));
    assert_eq!(
        ids(&client(&server.base_url())).await.unwrap(),
        expected(0..23)
    );
    third.assert_calls(1);
}

#[tokio::test]
async fn pages_are_fetched_only_when_their_items_are_wanted() {
    let server = MockServer::start_async().await;
    let first = page_mock(&server, 1, templates(1, 0, 10, 20));
    let second = page_mock(&server, 2, templates(2, 10, 10, 20));
    let client = client(&server.base_url());
    let taken: Vec<_> = client
        .list_templates()
        .limit(PageLimit::Ten)
        .stream()
        .take(10)
        .collect()
        .await;
    assert_eq!(taken.len(), 10);
    first.assert_calls(1);
    second.assert_calls(0);
}

#[tokio::test]
async fn a_repeated_page_ends_the_stream_with_a_typed_error() {
    let server = MockServer::start_async().await;
    page_mock(&server, 1, templates(1, 0, 10, 30));
    // The server ignores the page number: page 2 is page 1 again.
    let second = page_mock(&server, 2, templates(1, 0, 10, 30));
    let third = page_mock(&server, 3, templates(3, 20, 10, 30));
    let client = client(&server.base_url());
    let all: Vec<_> = client
        .list_templates()
        .limit(PageLimit::Ten)
        .stream()
        .collect()
        .await;
    assert_eq!(all.len(), 11, "ten items, then the error, then the end");
    assert!(all[..10].iter().all(Result::is_ok));
    assert!(
        matches!(
            &all[10],
            Err(Error::Pagination(PaginationError::RepeatedPage { page: 2 }))
        ),
        "{:?}",
        all[10]
    );
    second.assert_calls(1);
    third.assert_calls(0);
}

#[tokio::test]
async fn an_empty_page_before_the_total_is_a_typed_error() {
    let server = MockServer::start_async().await;
    page_mock(&server, 1, templates(1, 0, 10, 15));
    page_mock(&server, 2, templates(2, 0, 0, 15));
    let third = page_mock(&server, 3, templates(3, 0, 0, 15));
    let error = ids(&client(&server.base_url())).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Pagination(PaginationError::TotalNotReached {
                page: 2,
                received: 10,
                total_count: 15
            })
        ),
        "{error:?}"
    );
    third.assert_calls(0);
}

#[tokio::test]
async fn an_error_on_page_3_ends_the_stream_with_that_error() {
    let server = MockServer::start_async().await;
    page_mock(&server, 1, templates(1, 0, 10, 40));
    page_mock(&server, 2, templates(2, 10, 10, 40));
    let third = server.mock(|when, then| {
        when.method(GET).path("/templates").query_param("page", "3");
        then.status(403)
            .header("content-type", "application/json")
            .json_body(json!({"error_code": "forbidden", "error_message": "no"}));
    });
    let fourth = page_mock(&server, 4, templates(4, 30, 10, 40));
    let client = client(&server.base_url());
    let mut stream = client.list_templates().limit(PageLimit::Ten).stream();
    let mut items = 0;
    let error = loop {
        match stream.next().await {
            Some(Ok(_)) => items += 1,
            Some(Err(error)) => break error,
            None => panic!("the stream ended without the error"),
        }
    };
    assert_eq!(items, 20);
    assert_eq!(error.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(error.error_code(), Some("forbidden"));
    assert!(stream.next().await.is_none(), "nothing after the error");
    third.assert_calls(1);
    fourth.assert_calls(0);
}

#[tokio::test]
async fn every_page_goes_through_the_retry_policy() {
    let page = |n: u64, from: u64| {
        Answer::json(
            200,
            &json!({"page": n, "limit": 10, "total_count": 12,
                    "data": (from..(from + 10).min(12)).map(|i| json!({"id": format!("s{i}"), "name": format!("S{i}")})).collect::<Vec<_>>()})
            .to_string(),
        )
    };
    let server = scripted::start(vec![page(1, 0), Answer::status(503), page(2, 10)]).await;
    let sleep = RecordingSleep::new();
    let client = lumin::ClientBuilder::new()
        .base_url(&server.base_url)
        .api_key("test-key")
        .retry(
            RetryPolicy::new()
                .base(Duration::from_millis(100))
                .jitter(false),
        )
        .sleep(Arc::new(sleep.clone()))
        .build()
        .unwrap();
    let spaces: Vec<types::Space> = client
        .list_spaces()
        .limit(PageLimit::Ten)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(spaces.len(), 12);
    assert_eq!(spaces[11].id, "s11");
    assert_eq!(sleep.slept(), vec![Duration::from_millis(100)]);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests[2].head.contains("page=2"), "{}", requests[2].head);
}

#[tokio::test]
async fn workspace_members_stream_too() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method(GET)
            .path("/workspaces/members")
            .query_param("page", "1");
        then.status(200)
            .header("content-type", "application/json")
            .json_body(json!({"page": 1, "limit": 25, "total_count": "2",
                              "data": [{"user_id": "u1"}, {"user_id": "u2"}]}));
    });
    let members: Vec<types::WorkspaceMember> = client(&server.base_url())
        .get_workspace_members()
        .limit(PageLimit::TwentyFive)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(members.len(), 2);
    mock.assert_calls(1);
}
