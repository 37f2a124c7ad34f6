//! A TCP echo server and its clients in one program: the server accepts on 127.0.0.1 (an
//! ephemeral port) and echoes each connection on its own goroutine; 10 clients each send 100
//! lines and check every echo, reading line by line with `futures::io::AsyncBufReadExt`.
//!
//! ```text
//! cargo run --example tcp_echo
//! ```
//!
//! Prints `echoed 1000 lines over 10 connections`.

use futures::StreamExt;
use futures::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use gmp::net::{TcpListener, TcpStream};

const CLIENTS: usize = 10;
const LINES: usize = 100;

#[gmp::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;

    // The server: one goroutine per connection, copying what it reads back to the client.
    gmp::spawn(async move {
        loop {
            let (conn, _peer) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("accept: {e}");
                    continue;
                }
            };
            gmp::spawn(async move {
                let (rd, mut wr) = conn.into_split();
                if let Err(e) = futures::io::copy(rd, &mut wr).await {
                    eprintln!("echo: {e}");
                }
            })
            .detach();
        }
    })
    .detach();

    // The clients: each writes its lines from one goroutine and reads the echoes in another.
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            gmp::spawn(async move {
                let (rd, mut wr) = TcpStream::connect(addr).await?.into_split();
                let writer = gmp::spawn(async move {
                    for l in 0..LINES {
                        wr.write_all(format!("client {c} line {l}\n").as_bytes())
                            .await?;
                    }
                    std::io::Result::Ok(())
                });
                let mut lines = BufReader::new(rd).lines();
                let mut echoed = 0;
                while echoed < LINES {
                    let line = lines.next().await.expect("connection closed early")?;
                    assert_eq!(line, format!("client {c} line {echoed}"));
                    echoed += 1;
                }
                writer.await.expect("writer panicked")?;
                std::io::Result::Ok(echoed)
            })
        })
        .collect();

    let mut total = 0;
    for c in clients {
        total += c.await.expect("client panicked")?;
    }
    println!("echoed {total} lines over {CLIENTS} connections");
    Ok(())
}
