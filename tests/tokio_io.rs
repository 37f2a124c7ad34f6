//! tokio's I/O traits on gmp's sockets (feature `tokio-io`): crates written against
//! `tokio::io::{AsyncRead, AsyncWrite}` run on gmp's `TcpStream`/`UnixStream` with no tokio
//! runtime. TLS through tokio-rustls (rustls's `ring` provider, a certificate made here by
//! rcgen), tokio-util's codecs, and tokio's `AsyncReadExt`/`AsyncWriteExt`.

use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use gmp::net::{TcpListener, TcpStream, UnixStream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::{self, pki_types};
use tokio_rustls::{TlsAcceptor, TlsConnector};
use tokio_util::codec::{FramedRead, FramedWrite, LinesCodec};

/// A server and a client TLS config trusting one self-signed certificate for `localhost`.
fn tls_configs() -> (TlsAcceptor, TlsConnector) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = certified.cert.der().clone();
    let key = pki_types::PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    // rustls's `ring` provider (pure Rust + asm, no C toolchain step as aws-lc-rs needs);
    // rustls 0.23.48 deprecates it only for lacking post-quantum key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());

    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key.into())
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (
        TlsAcceptor::from(Arc::new(server)),
        TlsConnector::from(Arc::new(client)),
    )
}

#[gmp::test]
async fn tls_echo_over_gmp_tcp() {
    let (acceptor, connector) = tls_configs();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();

    let server = gmp::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(tcp).await.unwrap();
        let (mut rd, mut wr) = tokio::io::split(tls);
        let n = tokio::io::copy(&mut rd, &mut wr).await.unwrap();
        wr.shutdown().await.unwrap();
        n
    });

    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = pki_types::ServerName::try_from("localhost").unwrap();
    let tls = connector.connect(name, tcp).await.unwrap();
    assert!(
        tls.get_ref().1.negotiated_cipher_suite().is_some(),
        "handshake finished"
    );
    let (mut rd, mut wr) = tokio::io::split(tls);

    // Big enough for many TLS records and partial socket writes both ways.
    let msg: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let writer = {
        let msg = msg.clone();
        gmp::spawn(async move {
            wr.write_all(b"hello over TLS\n").await.unwrap();
            wr.write_all(&msg).await.unwrap();
            wr.shutdown().await.unwrap(); // close_notify, then the peer's copy ends
        })
    };
    let mut got = Vec::new();
    rd.read_to_end(&mut got).await.unwrap();
    writer.await.unwrap();
    assert_eq!(&got[..15], b"hello over TLS\n");
    assert_eq!(&got[15..], &msg[..]);
    assert_eq!(server.await.unwrap(), got.len() as u64);
}

#[gmp::test]
async fn tokio_ext_traits_and_vectored_writes_on_tcp() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = gmp::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        conn.read_to_end(&mut got).await.unwrap(); // until the client's shutdown
        conn.write_all(&got).await.unwrap();
        got
    });

    let mut conn = TcpStream::connect(addr).await.unwrap();
    assert!(tokio::io::AsyncWrite::is_write_vectored(&conn));
    let bufs = [std::io::IoSlice::new(b"abc"), std::io::IoSlice::new(b"def")];
    let n = conn.write_vectored(&bufs).await.unwrap();
    assert!(n > 0 && n <= 6);
    let rest = &b"abcdef"[n..];
    conn.write_all(rest).await.unwrap();
    conn.write_u32(0xdead_beef).await.unwrap();
    conn.flush().await.unwrap();
    AsyncWriteExt::shutdown(&mut conn).await.unwrap(); // the server's read_to_end ends; our read side stays open
    assert_eq!(&conn.read_u32().await.unwrap().to_be_bytes(), b"abcd");
    let mut rest = [0; 6];
    conn.read_exact(&mut rest).await.unwrap();
    assert_eq!(&rest, b"ef\xde\xad\xbe\xef");
    assert_eq!(
        conn.read(&mut [0; 8]).await.unwrap(),
        0,
        "EOF after the echo"
    );
    assert_eq!(server.await.unwrap(), b"abcdef\xde\xad\xbe\xef");
}

#[gmp::test]
async fn tokio_util_codec_over_owned_halves() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // A line server: answers each line upper-cased, on the halves of the accepted socket.
    let server = gmp::spawn(async move {
        let (conn, _) = listener.accept().await.unwrap();
        let (rd, wr) = conn.into_split();
        let mut lines = FramedRead::new(rd, LinesCodec::new());
        let mut out = FramedWrite::new(wr, LinesCodec::new());
        while let Some(line) = lines.next().await {
            out.send(line.unwrap().to_uppercase()).await.unwrap();
        }
    });

    let (rd, wr) = TcpStream::connect(addr).await.unwrap().into_split();
    let mut out = FramedWrite::new(wr, LinesCodec::new());
    let mut lines = FramedRead::new(rd, LinesCodec::new());
    for word in ["gophers", "and", "crabs"] {
        out.send(word).await.unwrap();
        assert_eq!(lines.next().await.unwrap().unwrap(), word.to_uppercase());
    }
    drop(out); // the write half shuts down: the server's stream ends
    server.await.unwrap();
    assert!(lines.next().await.is_none(), "the server closed");
}

#[gmp::test]
async fn unix_stream_and_halves_with_tokio_copy() {
    let (a, b) = UnixStream::pair().unwrap();
    let echo = gmp::spawn(async move {
        let (mut rd, mut wr) = b.into_split();
        tokio::io::copy(&mut rd, &mut wr).await.unwrap()
    });
    let (mut rd, mut wr) = a.into_split();
    let msg = vec![7u8; 100_000];
    let writer = {
        let msg = msg.clone();
        gmp::spawn(async move {
            wr.write_all(&msg).await.unwrap();
            wr.shutdown().await.unwrap();
        })
    };
    let mut got = Vec::new();
    rd.read_to_end(&mut got).await.unwrap();
    writer.await.unwrap();
    assert_eq!(got, msg);
    assert_eq!(echo.await.unwrap(), 100_000);
}
