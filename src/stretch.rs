//! Looking things up only where it pays. The fast reader looks members
//! up by their text (`case::fast::Seen`), a batch worker whole ruling lines
//! by a case's key (`batch::remember`); where few repeat, looking costs
//! more than it saves. So they look in stretches of [`PROBE`]: after one in
//! which too few were found, the next are not looked for during a rest,
//! twice as long after each such stretch in a row, up to a longest.

/// Looks in a stretch.
pub const PROBE: u32 = 256;

/// How looking has gone in the current stretch, and how long to rest.
pub struct Stretch {
    /// Found, at least, in a stretch for the next to look too.
    least: u32,
    /// The first rest after a stretch of too few found, and the longest.
    first: u32,
    longest: u32,
    looked: u32,
    found: u32,
    /// Lookups still not to be made.
    resting: u32,
    /// The next rest.
    rest: u32,
    /// Whether the last stretch found too few.
    few: bool,
}

impl Stretch {
    /// Looking that goes on while `least` of a stretch are found, resting
    /// `first` lookups after a stretch of fewer, and twice as many after
    /// each such stretch in a row, up to `longest`.
    pub const fn new(least: u32, (first, longest): (u32, u32)) -> Stretch {
        Stretch { least, first, longest, looked: 0, found: 0, resting: 0, rest: first, few: false }
    }

    /// Whether to look the next one up: not while resting.
    pub fn looks(&mut self) -> bool {
        let resting = self.resting > 0;
        self.resting = self.resting.saturating_sub(1);
        !resting
    }

    /// Counts a lookup made; whether it ended a stretch.
    pub fn counts(&mut self, found: bool) -> bool {
        self.looked += 1;
        self.found += u32::from(found);
        if self.looked < PROBE {
            return false;
        }
        self.few = self.found < self.least;
        if self.few {
            self.resting = self.rest;
            self.rest = (2 * self.rest).min(self.longest);
        } else {
            self.rest = self.first;
        }
        (self.looked, self.found) = (0, 0);
        true
    }

    /// Whether the last stretch ended found too few.
    pub fn after_few(&self) -> bool {
        self.few
    }
}
