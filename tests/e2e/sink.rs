//! A webhook receiver for the delivery tests: a plain HTTP/1.1 server on
//! threads that answers 200 to every POST and records what came, and whether
//! one webhook id was ever being received twice at the same time.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Delivery {
    pub webhook_id: String,
    pub aggregate: String,
    pub version: u64,
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

fn serve(stream: TcpStream, state: &Mutex<State>, delay: Duration) {
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut webhook_id = String::new();
        let mut line = String::new();
        // Request line, then headers up to the blank line.
        let mut first = true;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let trimmed = line.trim_end();
            if trimmed.is_empty() && !first {
                break;
            }
            first = false;
            if let Some((name, value)) = trimmed.split_once(':') {
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "webhook-id" => webhook_id = value.trim().to_owned(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
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
            });
        }
        if writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").is_err() {
            return;
        }
    }
}
