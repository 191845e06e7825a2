//! A real three-node `nats-server` cluster with JetStream, on loopback: own ports, own
//! storage directories (removed when dropped); one node can be killed.

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
    child: Option<Child>,
}

/// Three `nats-server -js` processes joined by routes into one cluster.
#[derive(Debug)]
pub struct NatsCluster {
    nodes: Vec<Node>,
    dir: PathBuf,
}

impl NatsCluster {
    /// Starts three nodes and waits until each accepts connections (JetStream elects its
    /// leader shortly after; clients retry stream creation meanwhile). A port taken by
    /// another process between its pick and the server's bind makes that server exit: the
    /// cluster then starts again on fresh ports.
    pub fn start() -> Self {
        for _ in 0..5 {
            let dir = std::env::temp_dir().join(format!(
                "jido-nats-cluster-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let nodes =
                (0..3).map(|_| Node { client: free_port(), route: free_port(), child: None }).collect();
            let mut cluster = NatsCluster { nodes, dir };
            if (0..3).all(|index| cluster.launch(index)) {
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

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for index in 0..self.nodes.len() {
            self.kill(index);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
