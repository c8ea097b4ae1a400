//! Start-up time and idle memory of `alam serve`, for BENCHMARKS.md: spawns the binary on
//! `127.0.0.1:0` (extra arguments are passed on, e.g. `--gazetteers DIR`), reads the
//! `alam: serving on ADDR` line, polls `grpc.health.v1.Health/Check` every millisecond until it
//! answers SERVING, then reads the server's resident memory, stops it (SIGKILL: this process
//! started it) and prints one JSON line.
//!
//! `cargo run --release --example startup -- PATH/TO/alam [serve flags…]`

fn main() -> Result<(), Box<dyn std::error::Error>> {
    imp::main()
}

mod imp {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::health_client::HealthClient;

    #[tokio::main(flavor = "current_thread")]
    pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
        let mut args = std::env::args().skip(1);
        let binary = args
            .next()
            .ok_or("usage: startup PATH/TO/alam [serve flags…]")?;
        let started = Instant::now();
        let mut child = Command::new(&binary)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()?;
        let result = measure(&mut child, started).await;
        let _ = child.kill();
        let _ = child.wait();
        println!("{}", result?);
        Ok(())
    }

    async fn measure(
        child: &mut std::process::Child,
        started: Instant,
    ) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
        let mut stderr = BufReader::new(child.stderr.take().ok_or("no stderr")?);
        let mut line = String::new();
        let addr = loop {
            line.clear();
            if stderr.read_line(&mut line)? == 0 {
                return Err("the server exited before printing its address".into());
            }
            if let Some(addr) = line.trim().strip_prefix("alam: serving on ") {
                break addr.to_string();
            }
        };
        let listening = started.elapsed();
        // Keep draining stderr so that the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));

        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))?
            .connect()
            .await?;
        let mut health = HealthClient::new(channel);
        let mut polls = 0;
        let serving = loop {
            polls += 1;
            let status = health
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await?
                .into_inner()
                .status;
            if status == ServingStatus::Serving as i32 {
                break started.elapsed();
            }
            if started.elapsed() > Duration::from_secs(600) {
                return Err("not SERVING after 600 s".into());
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        // Let the allocator settle, then read the idle memory.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))?;
        let kib = |field: &str| -> f64 {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
                .unwrap_or(0.0)
        };
        Ok(serde_json::json!({
            "listening_ms": listening.as_secs_f64() * 1e3,
            "serving_ms": serving.as_secs_f64() * 1e3,
            "health_polls": polls,
            "idle_rss_mib": kib("VmRSS:") / 1024.0,
            "peak_rss_mib": kib("VmHWM:") / 1024.0,
        }))
    }
}
