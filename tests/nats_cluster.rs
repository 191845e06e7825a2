//! A real three-node `nats-server` cluster with JetStream, on loopback: own ports, own
//! storage directories (removed when dropped); one node can be killed.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};

use super::nats::free_port;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug)]
struct Node {
    client: SocketAddr,
    route: SocketAddr,
    /// The HTTP monitoring port (`/routez`, `/jsz`), read to know the cluster has formed.
    monitor: SocketAddr,
    child: Option<Child>,
}

/// Three `nats-server -js` processes joined by routes into one cluster.
#[derive(Debug)]
pub struct NatsCluster {
    nodes: Vec<Node>,
    dir: PathBuf,
}

impl NatsCluster {
    /// Starts three nodes and waits until the cluster has formed: every node routes to the
    /// two others and sees a JetStream meta leader of a three-server cluster (so a stream
    /// of three replicas can be placed at once). A port taken by another process between
    /// its pick and the server's bind makes that server exit (sometimes only after it
    /// already listens for clients): the cluster then starts again on fresh ports.
    pub fn start() -> Self {
        for _ in 0..5 {
            let dir = std::env::temp_dir().join(format!(
                "jido-nats-cluster-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let nodes = (0..3)
                .map(|_| Node { client: free_port(), route: free_port(), monitor: free_port(), child: None })
                .collect();
            let mut cluster = NatsCluster { nodes, dir };
            if (0..3).all(|index| cluster.launch(index)) && cluster.formed() {
                return cluster;
            }
        }
        panic!("nats-server kept exiting at start (ports taken?)");
    }

    /// Every node's `nats://` URL.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(|node| format!("nats://{}", node.client)).collect()
    }

    /// Kills node `index` (SIGKILL) and waits for it to exit.
    pub fn kill(&mut self, index: usize) {
        if let Some(mut child) = self.nodes[index].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts node `index` and waits until it listens; `false` if it exited first.
    fn launch(&mut self, index: usize) -> bool {
        self.kill(index);
        let routes: Vec<String> = self.nodes.iter().map(|node| format!("nats://{}", node.route)).collect();
        let node = &self.nodes[index];
        let store = self.dir.join(format!("n{index}"));
        let mut child = Command::new(super::nats::binary())
            .args(["-a", "127.0.0.1", "-p", &node.client.port().to_string()])
            .args(["-n", &format!("n{index}"), "-js", "-sd"])
            .arg(&store)
            .args(["--cluster_name", "jido-test", "--cluster", &format!("nats://{}", node.route)])
            .args(["--routes", &routes.join(",")])
            .args(["-m", &node.monitor.port().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start nats-server ({e}); install it with `apt-get install nats-server`")
            });
        let client = node.client;
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&client, Duration::from_millis(100)).is_err() {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return false;
            }
            assert!(Instant::now() < deadline, "nats-server did not listen on {client} within 30 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        self.nodes[index].child = Some(child);
        true
    }
}

impl NatsCluster {
    /// Waits up to 60 s until every node routes to the two others and reports a meta leader
    /// of a cluster of three; `false` if a node exited meanwhile (start again).
    fn formed(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self
                .nodes
                .iter_mut()
                .any(|node| node.child.as_mut().is_none_or(|c| matches!(c.try_wait(), Ok(Some(_)))))
            {
                return false;
            }
            let states: Vec<(String, String)> = self
                .nodes
                .iter()
                .map(|node| (monitor_get(node.monitor, "/routez"), monitor_get(node.monitor, "/jsz")))
                .collect();
            let ready = states.iter().all(|(routes, js)| {
                routes.contains("\"num_routes\":2")
                    && js.contains("\"cluster_size\":3")
                    && js.contains("\"leader\":\"n")
            });
            if ready {
                return true;
            }
            assert!(Instant::now() < deadline, "the NATS cluster did not form within 60 s: {states:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The body of `GET path` on a node's monitoring port, without whitespace (empty when the
/// node does not answer).
fn monitor_get(monitor: SocketAddr, path: &str) -> String {
    let Ok(mut stream) = TcpStream::connect_timeout(&monitor, Duration::from_millis(200)) else {
        return String::new();
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut text = String::new();
    if write!(stream, "GET {path} HTTP/1.0\r\n\r\n").is_err() || stream.read_to_string(&mut text).is_err() {
        return String::new();
    }
    let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    body.chars().filter(|c| !c.is_whitespace()).collect()
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for index in 0..self.nodes.len() {
            self.kill(index);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
