//! `GET /api/fib/{n}`: the CPU-bound test.

use axum::Json;
use serde::Serialize;

use crate::{decimal::Decimal, error::AppError, extract::AppPath};

#[derive(Serialize)]
pub struct Fibonacci {
    n: u32,
    fibonacci: u64,
}

/// Computed inline on the request's worker thread, as every service in the comparison does:
/// the point of the test is what CPU-bound work does to a server's other requests.
pub async fn fib(AppPath(Decimal(n)): AppPath<Decimal>) -> Result<Json<Fibonacci>, AppError> {
    let n = u32::try_from(n)
        .ok()
        .filter(|n| *n <= 35)
        .ok_or_else(|| AppError::Validation("n must be an integer from 0 to 35".to_owned()))?;
    Ok(Json(Fibonacci {
        n,
        fibonacci: naive_fib(n),
    }))
}

/// The naive double recursion the contract asks for: no memo, no loop, no closed form.
fn naive_fib(n: u32) -> u64 {
    if n < 2 {
        u64::from(n)
    } else {
        naive_fib(n - 1) + naive_fib(n - 2)
    }
}

#[cfg(test)]
mod tests {
    use super::naive_fib;

    #[test]
    fn first_values_and_the_largest_allowed() {
        let first: Vec<u64> = (0..10).map(naive_fib).collect();
        assert_eq!(first, [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]);
        assert_eq!(naive_fib(35), 9_227_465);
    }
}
