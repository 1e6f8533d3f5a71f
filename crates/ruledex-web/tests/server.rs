//! One real server on a loopback port, spoken to over TCP (HTTP/1.1).

mod common;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn raw_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_server_answers_pages_and_api_with_headers() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, common::app()).await.expect("serve");
    });
    let page = raw_get(addr, "/techniques/T1046").await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    let lower = page.to_lowercase();
    assert!(lower.contains("content-security-policy: default-src 'none'"));
    assert!(lower.contains("x-content-type-options: nosniff"));
    assert!(page.contains("Fields filtered most"));
    let api = raw_get(addr, "/api/v1/feed?per_page=1").await;
    assert!(api.starts_with("HTTP/1.1 200"), "{api}");
    assert!(api.contains("\"per_page\":1"));
    let missing = raw_get(addr, "/rules/sigma:none").await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    server.abort();
}
