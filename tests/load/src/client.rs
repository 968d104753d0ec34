//! A minimal HTTP/1.1 client over one kept-alive loopback connection: the
//! harness needs nothing more, and a small one keeps the client's own cost
//! out of the server's figures.

use anyhow::{Context as _, anyhow, bail};
use std::net::SocketAddr;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub struct Connection {
    addr: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
}

pub struct Answer {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: Vec<u8>,
}

impl Connection {
    pub fn new(addr: SocketAddr) -> Connection {
        Connection { addr, stream: None }
    }

    /// Posts a JSON body; reconnects once if the kept-alive connection was
    /// closed under us.
    pub async fn post_json(&mut self, path: &str, body: &[u8]) -> anyhow::Result<Answer> {
        self.request("POST", path, body).await
    }

    /// A GET asking for JSON.
    pub async fn get(&mut self, path: &str) -> anyhow::Result<Answer> {
        self.request("GET", path, b"").await
    }

    async fn request(&mut self, method: &str, path: &str, body: &[u8]) -> anyhow::Result<Answer> {
        match self.try_request(method, path, body).await {
            Ok(answer) => Ok(answer),
            Err(_) => {
                self.stream = None;
                self.try_request(method, path, body).await
            }
        }
    }

    async fn try_request(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> anyhow::Result<Answer> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr)
                .await
                .with_context(|| format!("connecting to {}", self.addr))?;
            stream.set_nodelay(true)?;
            self.stream = Some(BufReader::new(stream));
        }
        let stream = self
            .stream
            .as_mut()
            .ok_or_else(|| anyhow!("no connection"))?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        let out = stream.get_mut();
        out.write_all(head.as_bytes()).await?;
        out.write_all(body).await?;

        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            bail!("the server closed the connection");
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("not an HTTP status line: {line:?}"))?;
        let mut length = 0usize;
        let mut retry_after = None;
        let mut close = false;
        loop {
            line.clear();
            if stream.read_line(&mut line).await? == 0 {
                bail!("the server closed the connection in the headers");
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.parse()?,
                    "retry-after" => retry_after = value.parse().ok(),
                    "connection" => close = value.eq_ignore_ascii_case("close"),
                    "transfer-encoding" => bail!("chunked answers are not expected here"),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await?;
        if close {
            self.stream = None;
        }
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }
}
