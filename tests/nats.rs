//! A real `nats-server` for cluster tests: started on a free loopback port, stopped and
//! restarted on the same port on demand, killed when dropped.
//!
//! The Debian package `nats-server` provides the binary (`.ci/run` installs it); a test
//! that needs it fails with that instruction when it is missing.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or stopped) `nats-server` child process.
#[derive(Debug)]
pub struct NatsServer {
    addr: SocketAddr,
    child: Option<Child>,
}

impl NatsServer {
    /// Starts a server on a free loopback port and waits until it accepts connections.
    pub fn start() -> Self {
        let addr = free_port();
        let mut server = NatsServer { addr, child: None };
        server.restart();
        server
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://{}", self.addr)
    }

    /// Stops the server (SIGKILL) and waits for the process to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new(binary())
            .args(["-a", "127.0.0.1", "-p", &self.addr.port().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start nats-server ({e}); install it with `apt-get install nats-server` \
                     (.ci/run does this)"
                )
            });
        self.child = Some(child);
        wait_listening(self.addr);
    }
}

/// A free loopback address.
pub(crate) fn free_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap_or_else(|e| panic!("no free port: {e}"))
}

/// Waits until a just-started `nats-server` accepts connections on `addr` (10 s at most):
/// the process gives no other readiness signal.
pub(crate) fn wait_listening(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
        assert!(Instant::now() < deadline, "nats-server did not listen on {addr} within 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `nats-server` from `PATH`, or Debian's `/usr/sbin/nats-server` (not on a user's `PATH`).
pub(crate) fn binary() -> &'static str {
    let on_path = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("nats-server").is_file()));
    if on_path { "nats-server" } else { "/usr/sbin/nats-server" }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}
