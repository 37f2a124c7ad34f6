//! The load generator of the network rows, the same for every server (gmp, tokio, Go):
//! `gmp-bench --load <http|echo> <addr> <conns> <secs> <size>`, run by the server's process as
//! its own child, prints one line `rps=<n> p50_us=<n> p99_us=<n> errors=0`.
//!
//! A closed loop like wrk's: `conns` keep-alive connections, each sending one request and
//! waiting for the whole answer before sending the next, spread over one plain OS thread per
//! client core (see [`crate::affinity`]), each thread driving its connections with
//! one `mio::Poll` (epoll). `http`: `GET / HTTP/1.1` and an answer with `Content-Length`
//! (status 200 or the run fails); `echo`: `size` bytes out, the same `size` bytes back.
//! Latency is from the first byte written to the last byte read, per request.
//!
//! Rejected: a thread per connection (50 threads on one core measure the kernel's scheduler
//! more than the server) and an async runtime (it would be one of the peers under test).

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use crate::affinity;

/// What each connection sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// `GET /` over HTTP/1.1 keep-alive.
    Http,
    /// `size` bytes echoed back.
    Echo,
}

impl Proto {
    /// `http` or `echo`.
    pub fn parse(s: &str) -> Option<Proto> {
        match s {
            "http" => Some(Proto::Http),
            "echo" => Some(Proto::Echo),
            _ => None,
        }
    }
}

/// What one load run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Requests (or echoed messages) completed per second.
    pub rps: f64,
    /// Median latency, microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, microseconds.
    pub p99_us: f64,
}

/// `--load` mode's entry point: `args` follow `--load`.
///
/// # Errors
///
/// Bad arguments, or a connection that failed or got a bad answer.
pub fn main(args: &[String]) -> Result<String, String> {
    let [proto, addr, conns, secs, size] = args else {
        return Err("usage: --load <http|echo> <addr> <conns> <secs> <size>".into());
    };
    let proto = Proto::parse(proto).ok_or_else(|| format!("unknown protocol {proto:?}"))?;
    let addr: SocketAddr = addr
        .parse()
        .map_err(|e| format!("bad address {addr:?}: {e}"))?;
    let num = |s: &String| {
        s.parse::<u64>()
            .map_err(|e| format!("bad number {s:?}: {e}"))
    };
    let (conns, secs, size) = (num(conns)?, num(secs)?, num(size)?);
    // Pin to the client's cores if the harness named them; else 2 threads, like wrk -t2.
    let cpus = std::env::var(affinity::CLIENT_CPUS_ENV)
        .ok()
        .and_then(|s| affinity::parse(&s));
    let threads = match &cpus {
        Some(c) => {
            affinity::set(c).map_err(|e| format!("cannot pin the client to CPUs {c:?}: {e}"))?;
            c.len()
        }
        None => 2,
    };
    let s = run(
        proto,
        addr,
        conns as usize,
        threads,
        Duration::from_secs(secs),
        size as usize,
    )?;
    Ok(format!(
        "rps={:.0} p50_us={:.1} p99_us={:.1} errors=0",
        s.rps, s.p50_us, s.p99_us
    ))
}

/// Runs the load for `dur` on `threads` threads sharing `conns` connections.
///
/// # Errors
///
/// A connection that failed, closed, or got a bad answer.
pub fn run(
    proto: Proto,
    addr: SocketAddr,
    conns: usize,
    threads: usize,
    dur: Duration,
    size: usize,
) -> Result<Summary, String> {
    let threads = threads.clamp(1, conns.max(1));
    let deadline = Instant::now() + dur;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let mine = conns / threads + usize::from(t < conns % threads);
            std::thread::Builder::new()
                .name(format!("load-{t}"))
                .spawn(move || drive(proto, addr, mine, deadline, size))
                .map_err(|e| format!("cannot start a load thread: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let mut lat = Vec::new();
    for h in handles {
        lat.extend(
            h.join()
                .map_err(|_| "a load thread panicked".to_string())??,
        );
    }
    if lat.is_empty() {
        return Err("no request completed".into());
    }
    lat.sort_by(f64::total_cmp);
    let pct =
        |q: f64| lat[(((q / 100.0) * lat.len() as f64).ceil() as usize).clamp(1, lat.len()) - 1];
    Ok(Summary {
        rps: lat.len() as f64 / dur.as_secs_f64(),
        p50_us: pct(50.0),
        p99_us: pct(99.0),
    })
}

/// One connection's state.
struct Conn {
    stream: TcpStream,
    /// Bytes of the current request written so far.
    written: usize,
    /// The answer read so far.
    buf: Vec<u8>,
    started: Instant,
}

/// One thread's loop over `n` connections until `deadline`; the latencies (us) of every
/// request completed before it.
fn drive(
    proto: Proto,
    addr: SocketAddr,
    n: usize,
    deadline: Instant,
    size: usize,
) -> Result<Vec<f64>, String> {
    let request: Vec<u8> = match proto {
        Proto::Http => b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_vec(),
        Proto::Echo => (0..size).map(|i| i as u8).collect(),
    };
    let err = |what: &str, e: io::Error| format!("{what}: {e}");
    let mut poll = Poll::new().map_err(|e| err("epoll", e))?;
    let mut conns = Vec::with_capacity(n);
    for i in 0..n {
        // A blocking connect, then non-blocking I/O: the load starts with every connection up.
        let std = std::net::TcpStream::connect(addr).map_err(|e| err("connect", e))?;
        std.set_nodelay(true).map_err(|e| err("nodelay", e))?;
        std.set_nonblocking(true)
            .map_err(|e| err("nonblocking", e))?;
        let mut stream = TcpStream::from_std(std);
        poll.registry()
            .register(
                &mut stream,
                Token(i),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| err("register", e))?;
        conns.push(Conn {
            stream,
            written: 0,
            buf: Vec::with_capacity(4096),
            started: Instant::now(),
        });
    }
    let mut lat = Vec::with_capacity(1 << 16);
    let mut events = Events::with_capacity(1024);
    let mut scratch = vec![0u8; 64 * 1024];
    // Start every connection's first request.
    for c in &mut conns {
        c.started = Instant::now();
        step(c, proto, &request, &mut scratch, &mut lat, deadline)?;
    }
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Ok(lat);
        }
        poll.poll(&mut events, Some(deadline - now))
            .or_else(|e| {
                if e.kind() == io::ErrorKind::Interrupted {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(|e| err("poll", e))?;
        for ev in &events {
            let c = &mut conns[ev.token().0];
            step(c, proto, &request, &mut scratch, &mut lat, deadline)?;
        }
    }
}

/// Moves one connection as far as it goes without blocking: writes the request, reads the
/// answer, and on a whole answer records its latency and starts the next request.
fn step(
    c: &mut Conn,
    proto: Proto,
    request: &[u8],
    scratch: &mut [u8],
    lat: &mut Vec<f64>,
    deadline: Instant,
) -> Result<(), String> {
    loop {
        while c.written < request.len() {
            match c.stream.write(&request[c.written..]) {
                Ok(0) => return Err("the server closed a connection".into()),
                Ok(k) => c.written += k,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("write: {e}")),
            }
        }
        let done = loop {
            if let Some(len) = complete(proto, &c.buf, request.len())? {
                if c.buf.len() > len {
                    return Err("the server answered more than was asked".into());
                }
                break true;
            }
            match c.stream.read(scratch) {
                Ok(0) => return Err("the server closed a connection".into()),
                Ok(k) => c.buf.extend_from_slice(&scratch[..k]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("read: {e}")),
            }
        };
        if !done {
            return Ok(());
        }
        let now = Instant::now();
        if now < deadline {
            lat.push(now.duration_since(c.started).as_nanos() as f64 / 1e3);
        }
        c.buf.clear();
        c.written = 0;
        c.started = now;
        if now >= deadline {
            return Ok(());
        }
    }
}

/// The length of the whole answer at the front of `buf`, if it is all there.
fn complete(proto: Proto, buf: &[u8], size: usize) -> Result<Option<usize>, String> {
    match proto {
        Proto::Echo => Ok((buf.len() >= size).then_some(size)),
        Proto::Http => {
            let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                return Ok(None);
            };
            let head = std::str::from_utf8(&buf[..end]).map_err(|_| "a non-UTF-8 HTTP head")?;
            let mut lines = head.split("\r\n");
            let status = lines.next().unwrap_or("");
            if !status.starts_with("HTTP/1.1 200") {
                return Err(format!("the server answered {status:?}"));
            }
            let len = lines
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                .ok_or("an answer without Content-Length")?;
            let total = end + 4 + len;
            Ok((buf.len() >= total).then_some(total))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_http_answers() {
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
        assert_eq!(complete(Proto::Http, ok, 0), Ok(Some(ok.len())));
        assert_eq!(complete(Proto::Http, &ok[..30], 0), Ok(None));
        assert!(complete(Proto::Http, b"HTTP/1.1 500 X\r\n\r\n", 0).is_err());
        assert!(complete(Proto::Http, b"HTTP/1.1 200 OK\r\n\r\n", 0).is_err());
        assert_eq!(complete(Proto::Echo, &[0; 10], 8), Ok(Some(8)));
    }

    #[test]
    fn loads_a_blocking_echo_server() {
        let ln = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = ln.local_addr().unwrap();
        std::thread::spawn(move || {
            for c in ln.incoming() {
                let mut c = c.unwrap();
                std::thread::spawn(move || {
                    let mut buf = [0; 4096];
                    while let Ok(n @ 1..) = c.read(&mut buf) {
                        if c.write_all(&buf[..n]).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        let s = run(Proto::Echo, addr, 4, 2, Duration::from_millis(200), 1024).unwrap();
        assert!(
            s.rps > 0.0 && s.p50_us > 0.0 && s.p99_us >= s.p50_us,
            "{s:?}"
        );
    }
}
