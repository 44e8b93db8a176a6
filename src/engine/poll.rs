//! Waiting for something to arrive in another system: polling with a growing interval until it does or the window closes.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

const FIRST_INTERVAL: Duration = Duration::from_millis(20);
const MAX_INTERVAL: Duration = Duration::from_millis(250);

/// Calls `check` until it returns `Some` or `deadline` passes; the last error, if any, is returned when time runs out.
pub async fn until<T, E, F, Fut>(deadline: Instant, mut check: F) -> Result<Option<T>, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, E>>,
{
    let mut interval = FIRST_INTERVAL;
    loop {
        if let Some(found) = check().await? {
            return Ok(Some(found));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(interval.min(deadline - now)).await;
        interval = (interval * 2).min(MAX_INTERVAL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn gives_up_at_the_deadline() {
        let start = Instant::now();
        let mut calls = 0;
        let found: Result<Option<()>, ()> = until(start + Duration::from_secs(2), || {
            calls += 1;
            async { Ok(None) }
        })
        .await;
        assert_eq!(found, Ok(None));
        assert_eq!(Instant::now() - start, Duration::from_secs(2));
        assert!(calls > 5, "{calls}");
    }

    #[tokio::test(start_paused = true)]
    async fn returns_as_soon_as_it_is_there() {
        let start = Instant::now();
        let mut calls = 0;
        let found: Result<Option<u32>, ()> = until(start + Duration::from_secs(30), || {
            calls += 1;
            let n = calls;
            async move { Ok((n == 3).then_some(n)) }
        })
        .await;
        assert_eq!(found, Ok(Some(3)));
        assert!(Instant::now() - start < Duration::from_millis(100));
    }
}
