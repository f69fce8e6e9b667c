//! A webhook receiver for the delivery tests: a plain HTTP/1.1 server on
//! threads that answers 200 to every POST and records what came, and whether
//! one webhook id was ever being received twice at the same time.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Delivery {
    pub webhook_id: String,
    pub aggregate: String,
    pub version: u64,
    pub traceparent: Option<String>,
}

#[derive(Default)]
struct State {
    received: Vec<Delivery>,
    in_progress: HashSet<String>,
    overlaps: Vec<String>,
}

pub struct Sink {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Sink {
    /// Listen on a loopback port; each request takes at least `delay`.
    pub fn start(delay: Duration) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind sink");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state, delay));
            }
        });
        Sink { url, state }
    }

    pub fn received(&self) -> Vec<Delivery> {
        self.state.lock().expect("sink").received.clone()
    }

    pub fn count(&self) -> usize {
        self.state.lock().expect("sink").received.len()
    }

    /// Webhook ids that arrived while the same id was still being received.
    pub fn overlaps(&self) -> Vec<String> {
        self.state.lock().expect("sink").overlaps.clone()
    }
}

/// (lower-case name, value) pairs.
pub type Headers = Vec<(String, String)>;

/// One HTTP/1.1 request off a keep-alive connection: its headers (names in
/// lower case) and body; `None` when the peer closed.
pub fn read_request(reader: &mut impl BufRead) -> Option<(Headers, Vec<u8>)> {
    let mut headers = Vec::new();
    let mut line = String::new();
    // Request line, then headers up to the blank line.
    let mut first = true;
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() && !first {
            break;
        }
        first = false;
        if let Some((name, value)) = trimmed.split_once(':') {
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    Some((headers, body))
}

fn serve(stream: TcpStream, state: &Mutex<State>, delay: Duration) {
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    while let Some((headers, body)) = read_request(&mut reader) {
        let header = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let webhook_id = header("webhook-id").unwrap_or_default();
        let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        {
            let mut s = state.lock().expect("sink");
            if !s.in_progress.insert(webhook_id.clone()) {
                s.overlaps.push(webhook_id.clone());
            }
        }
        std::thread::sleep(delay);
        {
            let mut s = state.lock().expect("sink");
            s.in_progress.remove(&webhook_id);
            s.received.push(Delivery {
                webhook_id: webhook_id.clone(),
                aggregate: event["aggregate"]["id"].as_str().unwrap_or("").to_owned(),
                version: event["aggregate"]["version"].as_u64().unwrap_or(0),
                traceparent: header("traceparent"),
            });
        }
        if writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").is_err() {
            return;
        }
    }
}
