//! A fault-injecting HTTP proxy between `provision` and the emulator.
//!
//! Each request is forwarded on a fresh upstream connection, or not: a seeded sequence picks,
//! for `rate` of the requests, one of four faults, as AWS and networks produce them:
//!
//! - `503`: HTTP 503 Service Unavailable, nothing done;
//! - `throttle`: the throttling error of the request's protocol, nothing done
//!   (`RequestLimitExceeded` for EC2, `Throttling` for the other query services,
//!   `ThrottlingException` for the JSON ones);
//! - `drop-before`: the connection is closed before the request reaches the emulator;
//! - `drop-after`: the request is performed, and the connection is closed before the answer:
//!   the caller cannot know whether it happened.
//!
//! Requests the emulator's control endpoints (`/_provision/...`) get are never faulted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    Unavailable,
    Throttle,
    DropBefore,
    DropAfter,
}

pub struct FaultProxy {
    pub endpoint: String,
    stop: Arc<AtomicBool>,
    counts: Arc<Mutex<BTreeMap<Option<Fault>, u64>>>,
}

/// SplitMix64, for a fixed sequence from a seed.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

struct Request {
    head: String,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    fn path(&self) -> &str {
        self.head.split(' ').nth(1).unwrap_or("/")
    }

    /// The signing service of the request, from its SigV4 credential scope.
    fn service(&self) -> &str {
        self.header("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').nth(3))
            .unwrap_or("")
    }
}

fn read_request(r: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let mut req = Request {
        head,
        body: Vec::new(),
    };
    let len: usize = req
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    req.body = body;
    Some(req)
}

/// The throttling answer of the request's protocol: (status, extra headers, body).
fn throttle(req: &Request) -> (u16, Vec<(&'static str, &'static str)>, String) {
    let cbor = req
        .header("content-type")
        .is_some_and(|c| c.contains("cbor"));
    if cbor {
        return (503, vec![], String::new());
    }
    if req.header("x-amz-target").is_some() {
        return (
            400,
            vec![("Content-Type", "application/x-amz-json-1.1")],
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.into(),
        );
    }
    let form = req
        .header("content-type")
        .is_some_and(|c| c.contains("x-www-form-urlencoded"));
    if form && req.service() == "ec2" {
        return (
            503,
            vec![("Content-Type", "text/xml")],
            "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>".into(),
        );
    }
    if form {
        return (
            400,
            vec![("Content-Type", "text/xml")],
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>".into(),
        );
    }
    // REST JSON (EKS, MSK): the error type travels in a header.
    (
        429,
        vec![
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", "ThrottlingException"),
        ],
        r#"{"message":"Rate exceeded"}"#.into(),
    )
}

fn respond(client: &mut TcpStream, status: u16, headers: &[(&str, &str)], body: &str) {
    let reason = match status {
        503 => "Service Unavailable",
        429 => "Too Many Requests",
        _ => "Bad Request",
    };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    let _ = client.write_all(out.as_bytes());
}

/// Forward one request on a new upstream connection and return the whole answer.
fn forward(upstream: &str, req: &Request) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).ok()?;
    let mut head = String::new();
    for (i, line) in req.head.lines().enumerate() {
        if line.is_empty() {
            continue;
        }
        if i > 0
            && line
                .split_once(':')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("connection"))
        {
            continue;
        }
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    up.write_all(head.as_bytes()).ok()?;
    up.write_all(&req.body).ok()?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).ok()?;
    Some(answer)
}

impl FaultProxy {
    /// A proxy to `upstream` (an `http://127.0.0.1:PORT` endpoint) that faults `rate` of the
    /// requests, in a sequence fixed by `seed`.
    pub fn start(upstream: &str, rate: f64, seed: u64) -> FaultProxy {
        Self::start_with(upstream, rate, seed, std::time::Duration::ZERO)
    }

    /// A proxy that faults nothing and holds every request `delay` before forwarding it, so
    /// that calls are in flight long enough for a test to act while they are.
    pub fn slow(upstream: &str, delay: std::time::Duration) -> FaultProxy {
        Self::start_with(upstream, 0.0, 0, delay)
    }

    fn start_with(upstream: &str, rate: f64, seed: u64, delay: std::time::Duration) -> FaultProxy {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let counts: Arc<Mutex<BTreeMap<Option<Fault>, u64>>> = Arc::default();
        let seq = Arc::new(AtomicU64::new(0));
        let threshold = (rate.clamp(0.0, 1.0) * 1_000_000.0) as u64;
        {
            let stop = stop.clone();
            let counts = counts.clone();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(client) = conn else { continue };
                    let (upstream, counts, seq) = (upstream.clone(), counts.clone(), seq.clone());
                    std::thread::spawn(move || {
                        let mut reader = BufReader::new(client.try_clone().unwrap());
                        let mut client = client;
                        while let Some(req) = read_request(&mut reader) {
                            let fault = if req.path().starts_with("/_provision/") {
                                None
                            } else {
                                let n = splitmix(seed ^ seq.fetch_add(1, Ordering::Relaxed));
                                if n % 1_000_000 < threshold {
                                    Some(match (n >> 32) % 4 {
                                        0 => Fault::Unavailable,
                                        1 => Fault::Throttle,
                                        2 => Fault::DropBefore,
                                        _ => Fault::DropAfter,
                                    })
                                } else {
                                    None
                                }
                            };
                            *counts.lock().unwrap().entry(fault).or_default() += 1;
                            match fault {
                                Some(Fault::Unavailable) => {
                                    respond(&mut client, 503, &[], "Service Unavailable");
                                    break;
                                }
                                Some(Fault::Throttle) => {
                                    let (status, headers, body) = throttle(&req);
                                    respond(&mut client, status, &headers, &body);
                                    break;
                                }
                                Some(Fault::DropBefore) => break,
                                Some(Fault::DropAfter) => {
                                    let _ = forward(&upstream, &req);
                                    break;
                                }
                                None => {
                                    if !delay.is_zero() && !req.path().starts_with("/_provision/") {
                                        std::thread::sleep(delay);
                                    }
                                    let Some(answer) = forward(&upstream, &req) else {
                                        break;
                                    };
                                    if client.write_all(&answer).is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                        let _ = client.shutdown(Shutdown::Both);
                    });
                }
            });
        }
        FaultProxy {
            endpoint,
            stop,
            counts,
        }
    }

    /// How many requests met each fault (None: forwarded untouched).
    pub fn counts(&self) -> BTreeMap<Option<Fault>, u64> {
        self.counts.lock().unwrap().clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.endpoint.trim_start_matches("http://"));
    }
}
