//! Money arithmetic in integer cents, so rounding never surprises anyone.

use std::fmt;
use std::ops::{Add, Sub};

/// An amount of money in the smallest unit of its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cents(pub i64);

impl Cents {
    /// Split `self` into `parts` amounts that differ by at most one cent.
    pub fn split_evenly(self, parts: u32) -> Vec<Cents> {
        assert!(parts > 0, "cannot split into zero parts");
        let base = self.0 / parts as i64;
        let remainder = self.0 % parts as i64;
        (0..parts as i64)
            .map(|i| Cents(base + if i < remainder { 1 } else { 0 }))
            .collect()
    }
}

impl Add for Cents {
    type Output = Cents;
    fn add(self, other: Cents) -> Cents {
        Cents(self.0 + other.0)
    }
}

impl Sub for Cents {
    type Output = Cents;
    fn sub(self, other: Cents) -> Cents {
        Cents(self.0 - other.0)
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, (self.0 % 100).abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_evenly_spreads_the_remainder() {
        assert_eq!(Cents(10).split_evenly(3), vec![Cents(4), Cents(3), Cents(3)]);
    }
}
