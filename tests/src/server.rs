//! Runs a real `wrangler dev` (workerd with a local D1 database) for a test or a benchmark: a free port,
//! a fresh state directory with the migrations applied and the IP-to-country ranges loaded, its own keys,
//! and the whole process group killed when dropped. Nothing is mocked: requests go over TCP to 127.0.0.1.
//!
//! Loading the 550k geo ranges takes seconds, so it happens once per content of the migrations and the
//! dataset: a template state directory is built under the cargo target directory, keyed by a hash of
//! both, and each server starts from a copy of it (tens of milliseconds).
//!
//! Expects the environment `scripts/lib/env.sh` sets up (wrangler on PATH, the worker already built);
//! `scripts/test.sh` and `scripts/bench.sh` provide it.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a cold `wrangler dev` may take to answer its first request.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// A running `wrangler dev` with its own state.
#[derive(Debug)]
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// A key with the ingest scope.
    pub ingest_key: String,
    /// A key with the read scope.
    pub read_key: String,
    /// A key with the admin scope.
    pub admin_key: String,
    /// The local D1/R2 state of this server.
    pub state_dir: PathBuf,
    child: Child,
    log_path: PathBuf,
    /// The directory [`Server::start`] made for this server alone: removed when it stops, unless a
    /// test failed (what is in it is then worth a look).
    scratch: Option<PathBuf>,
}

/// The repository root (tests run from the `tests` package directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// What the template state is built from: every migration, the geo loader and the installed dataset.
fn template_key(root: &Path) -> String {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(root.join("migrations"))
        .expect("migrations/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    inputs.sort();
    inputs.push(root.join("scripts/geo-to-sql.mjs"));
    inputs.push(root.join("node_modules/@ip-location-db/geo-whois-asn-country/package.json"));
    let mut hasher = DefaultHasher::new();
    for path in inputs {
        path.file_name().hash(&mut hasher);
        std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run through scripts/test.sh)", path.display()))
            .hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

/// Names the template state's contents (migrations, geo loader, dataset), so that states derived from
/// it, such as a benchmark's loaded database, can be cached under a name that changes with it.
pub fn template_id() -> String {
    template_key(&repo_root())
}

/// A local D1 state with the migrations applied and the geo ranges loaded, built once per
/// [`template_key`] and reused by every later server and run.
fn template_state() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let root = repo_root();
        let cache = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"))
            .join("evident-d1-templates");
        let dir = cache.join(template_key(&root));
        if dir.is_dir() {
            return dir;
        }
        // Built beside its final name and renamed into place, so a concurrent run never sees half of it.
        let building = cache.join(format!("building-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&building);
        std::fs::create_dir_all(&building).expect("template dir");
        let migrate = Command::new("wrangler")
            .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
            .arg(&building)
            .current_dir(&root)
            .output()
            .expect("wrangler is on PATH (run through scripts/test.sh)");
        assert!(
            migrate.status.success(),
            "migrations failed: {}",
            String::from_utf8_lossy(&migrate.stderr)
        );
        let geo = Command::new("bash")
            .arg(root.join("scripts/load-geo.sh"))
            .arg("--persist-to")
            .arg(&building)
            .current_dir(&root)
            .output()
            .expect("bash");
        assert!(
            geo.status.success(),
            "loading geo data failed: {}",
            String::from_utf8_lossy(&geo.stderr)
        );
        if std::fs::rename(&building, &dir).is_err() {
            // Another run finished first; its copy is as good as ours.
            let _ = std::fs::remove_dir_all(&building);
        }
        dir
    })
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Server {
    /// Starts a server with no events (the geo ranges loaded); `name` labels its state directory and log.
    pub fn start(name: &str) -> Server {
        let base = std::env::temp_dir().join(format!("evident-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).expect("state dir");
        let mut server = Server::start_in(name, &base.join("state"));
        server.scratch = Some(base);
        server
    }

    /// Starts a server on a state directory that outlives it: one that does not exist yet starts as a
    /// copy of the template (no events), one that exists is used as it is, with whatever it holds. The
    /// log goes beside the directory.
    pub fn start_in(name: &str, state_dir: &Path) -> Server {
        let root = repo_root();
        let state_dir = state_dir.to_path_buf();
        let log_path = state_dir.with_extension("wrangler.log");
        if !state_dir.exists() {
            copy_dir(template_state(), &state_dir).expect("copy the template state");
        }

        let port = free_port();
        let ingest_key = format!("evd_test_ingest_{name}");
        let read_key = format!("evd_test_read_{name}");
        let admin_key = format!("evd_test_admin_{name}");
        let log = std::fs::File::create(&log_path).expect("log file");
        let mut command = Command::new("wrangler");
        command
            .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--inspector-port", &free_port().to_string()])
            .args(["--show-interactive-dev-session=false", "--persist-to"])
            .arg(&state_dir)
            .args([
                "--var",
                &format!("INGEST_KEY:{ingest_key}"),
                "--var",
                &format!("READ_KEY:{read_key}"),
                "--var",
                &format!("ADMIN_KEY:{admin_key}"),
            ])
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        // Its own process group, so dropping the server also stops workerd.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command.spawn().expect("start wrangler dev");
        let server = Server {
            base_url: format!("http://127.0.0.1:{port}"),
            ingest_key,
            read_key,
            admin_key,
            state_dir,
            child,
            log_path,
            scratch: None,
        };
        server.wait_until_ready();
        server
    }

    fn wait_until_ready(&self) {
        let started = Instant::now();
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        while started.elapsed() < START_TIMEOUT {
            if let Ok(response) = agent.get(&self.url("/api/v1/health")).call() {
                if response.status() == 200 {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "wrangler dev did not answer within {START_TIMEOUT:?}; log:\n{}",
            self.log()
        );
    }

    /// The server's output so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// An absolute URL for a path like `/api/v1/events`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The path of the local D1 database file (SQLite), for tests that inspect or tamper with it.
    pub fn database_file(&self) -> Option<PathBuf> {
        let dir = self.state_dir.join("v3/d1/miniflare-D1DatabaseObject");
        std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            // miniflare keeps its own `metadata.sqlite` beside the database.
            .find(|p| {
                p.extension().is_some_and(|x| x == "sqlite")
                    && p.file_stem().is_some_and(|s| s != "metadata")
            })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        self.clean_up();
    }
}

impl Server {
    /// Ends wrangler's process group.
    fn stop(&mut self) {
        // wrangler can exit before workerd, which holds the database file open (in exclusive mode, so
        // other readers do not see its last writes until it has closed): wait for the whole group.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let group_alive = || {
            Command::new("kill")
                .args(["-0", "--", &group])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let _ = self.child.try_wait();
            if !group_alive() {
                let _ = self.child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }

    /// Removes the server's own state directory once it has stopped: each run of the tests and
    /// benchmarks left one behind, and the disk filled up. Kept after a failed test.
    fn clean_up(&mut self) {
        if let Some(dir) = self.scratch.take().filter(|_| !std::thread::panicking()) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
