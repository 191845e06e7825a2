//! Subscription patterns: parsing, validation messages, matching and specificity.

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Segment {
    /// Matches exactly this text.
    Literal(String),
    /// `*`: exactly one segment.
    Star,
    /// `**`: zero or more segments.
    DoubleStar,
}

/// A pattern was refused. The messages are the ones users of the original know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// `a..b`
    #[error("Path cannot contain consecutive dots")]
    ConsecutiveDots,
    /// `**.**`
    #[error("Path cannot contain multiple wildcards")]
    MultipleWildcards,
    /// `a.***`
    #[error("Path cannot contain '**' sequence")]
    StarSequence,
    /// `a.b*`
    #[error("Path cannot contain '*' within a segment")]
    StarWithinSegment,
    /// Empty segments, spaces, `@`, `/`, …
    #[error("Path contains invalid characters")]
    InvalidCharacters,
}

/// A validated pattern such as `user.*.created` or `audit.**`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pattern {
    text: String,
    segments: Vec<Segment>,
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Pattern {
    type Err = PatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Pattern::parse(s)
    }
}

fn valid_literal(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Pattern {
    /// Parses and validates `text`.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        if text.contains("..") {
            return Err(PatternError::ConsecutiveDots);
        }
        let parts: Vec<&str> = text.split('.').collect();
        if parts.windows(2).any(|w| w[0] == "**" && w[1] == "**") {
            return Err(PatternError::MultipleWildcards);
        }
        if text.contains("***") {
            return Err(PatternError::StarSequence);
        }
        let mut segments = Vec::with_capacity(parts.len());
        for part in parts {
            segments.push(match part {
                "*" => Segment::Star,
                "**" => Segment::DoubleStar,
                p if p.contains('*') => return Err(PatternError::StarWithinSegment),
                p if valid_literal(p) => Segment::Literal(p.to_owned()),
                _ => return Err(PatternError::InvalidCharacters),
            });
        }
        Ok(Pattern { text: text.to_owned(), segments })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The segments.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Whether the whole of `ty` matches (reference implementation; the router is faster).
    pub fn matches(&self, ty: &str) -> bool {
        let parts: Vec<&str> = ty.split('.').collect();
        matches_from(&self.segments, &parts)
    }

    /// The specificity key: compare with [`Ord`], smaller is more specific.
    pub fn specificity(&self) -> Specificity {
        Specificity::of(&self.segments)
    }
}

fn matches_from(pattern: &[Segment], parts: &[&str]) -> bool {
    match pattern.split_first() {
        None => parts.is_empty(),
        Some((Segment::DoubleStar, rest)) => (0..=parts.len()).any(|skip| matches_from(rest, &parts[skip..])),
        Some((segment, rest)) => match parts.split_first() {
            None => false,
            Some((part, parts)) => {
                let head = match segment {
                    Segment::Literal(text) => text == part,
                    _ => true,
                };
                head && matches_from(rest, parts)
            }
        },
    }
}

/// How specific a pattern is; `Ord` puts the most specific first.
///
/// Segments are compared left to right (earlier segments weigh more): a literal beats `*`,
/// which beats `**`. When one pattern is a prefix of the other, the longer one is more
/// specific unless its next segment is `**` (which may match nothing). Packed into one
/// integer so that sorting matches never chases pointers: two bits per segment, most
/// significant first, with "pattern ended" ranked between `*` and `**` (that rank gives
/// exactly the prefix rule above). Segments past the 32nd do not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Specificity(u64);

const RANK_LITERAL: u64 = 0;
const RANK_STAR: u64 = 1;
const RANK_END: u64 = 2;
const RANK_DOUBLE_STAR: u64 = 3;

impl Specificity {
    fn of(segments: &[Segment]) -> Self {
        let mut key = 0u64;
        for slot in 0..32 {
            let rank = match segments.get(slot) {
                Some(Segment::Literal(_)) => RANK_LITERAL,
                Some(Segment::Star) => RANK_STAR,
                Some(Segment::DoubleStar) => RANK_DOUBLE_STAR,
                None => RANK_END,
            };
            key = (key << 2) | rank;
        }
        Specificity(key)
    }
}
