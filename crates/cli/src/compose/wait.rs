//! `wait SERVICES`: blocks until the containers of the services (run containers included)
//! have exited, printing `container "<id>" exited with status code N` for each as
//! docker compose does; the exit code is the last one's. With `--down-project` the project
//! is then taken down (`down --remove-orphans`).

use std::sync::Mutex;

use anyhow::bail;
use berth_engine::{Engine, Paths};

use super::args::{DownArgs, ProjectOptions, WaitArgs};
use super::ps::project_name;
use super::{down, labels};

/// docker compose's line for an exited container.
fn exited_line(id: &str, code: i32) -> String {
    format!("container {id:?} exited with status code {code}")
}

/// `wait`.
pub fn wait(paths: &Paths, o: &ProjectOptions, a: WaitArgs) -> anyhow::Result<i32> {
    let name = project_name(o)?;
    // Containers that already exited are reported at once (their exit code stays), so a
    // short-lived service waited for just after `up -d` still gives its code.
    let list = {
        let e = Engine::open(paths.clone())?;
        labels::service_containers(&e, &name, &a.services, true)?
    };
    if list.is_empty() {
        bail!("no containers for project {name:?}");
    }
    let last = Mutex::new(0);
    std::thread::scope(|scope| {
        let handles: Vec<_> = list
            .iter()
            .map(|c| {
                let last = &last;
                scope.spawn(move || -> anyhow::Result<()> {
                    let e = Engine::open(paths.clone())?;
                    let code = e.wait_container(&c.rec)?;
                    let mut l = last.lock().unwrap_or_else(|p| p.into_inner());
                    println!("{}", exited_line(&c.rec.id, code));
                    *l = code;
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a waiter panicked"))??;
        }
        Ok::<_, anyhow::Error>(())
    })?;
    let code = *last.lock().unwrap_or_else(|p| p.into_inner());
    if a.down_project {
        down::down(
            paths,
            o,
            DownArgs {
                remove_orphans: true,
                ..Default::default()
            },
        )?;
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_quote_the_id() {
        assert_eq!(
            exited_line("abc", 3),
            "container \"abc\" exited with status code 3"
        );
    }
}
