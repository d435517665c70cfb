//! Quality meters of the generators, cheap enough for the browser to run on a few hundred
//! samples every few seconds: the polynomial images' (`poly`) and the digits' (`digits`).

mod digits;
mod poly;

pub use digits::*;
pub use poly::*;
