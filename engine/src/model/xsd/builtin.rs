//! The built-in datatypes of XML Schema 1.0 part 2: lexical checks and the value comparisons that
//! facets need.

use std::cmp::Ordering;

use super::XSD_NS;
use crate::model::QName;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BuiltinType {
    AnyType,
    AnySimpleType,
    String,
    NormalizedString,
    Token,
    Language,
    Name,
    NCName,
    Id,
    IdRef,
    IdRefs,
    Entity,
    Entities,
    NmToken,
    NmTokens,
    AnyUri,
    QName,
    Notation,
    Boolean,
    Decimal,
    Integer,
    NonPositiveInteger,
    NegativeInteger,
    Long,
    Int,
    Short,
    Byte,
    NonNegativeInteger,
    UnsignedLong,
    UnsignedInt,
    UnsignedShort,
    UnsignedByte,
    PositiveInteger,
    Float,
    Double,
    Duration,
    DateTime,
    Time,
    Date,
    GYearMonth,
    GYear,
    GMonthDay,
    GDay,
    GMonth,
    HexBinary,
    Base64Binary,
}

const NAMES: &[(BuiltinType, &str)] = &[
    (BuiltinType::AnyType, "anyType"),
    (BuiltinType::AnySimpleType, "anySimpleType"),
    (BuiltinType::String, "string"),
    (BuiltinType::NormalizedString, "normalizedString"),
    (BuiltinType::Token, "token"),
    (BuiltinType::Language, "language"),
    (BuiltinType::Name, "Name"),
    (BuiltinType::NCName, "NCName"),
    (BuiltinType::Id, "ID"),
    (BuiltinType::IdRef, "IDREF"),
    (BuiltinType::IdRefs, "IDREFS"),
    (BuiltinType::Entity, "ENTITY"),
    (BuiltinType::Entities, "ENTITIES"),
    (BuiltinType::NmToken, "NMTOKEN"),
    (BuiltinType::NmTokens, "NMTOKENS"),
    (BuiltinType::AnyUri, "anyURI"),
    (BuiltinType::QName, "QName"),
    (BuiltinType::Notation, "NOTATION"),
    (BuiltinType::Boolean, "boolean"),
    (BuiltinType::Decimal, "decimal"),
    (BuiltinType::Integer, "integer"),
    (BuiltinType::NonPositiveInteger, "nonPositiveInteger"),
    (BuiltinType::NegativeInteger, "negativeInteger"),
    (BuiltinType::Long, "long"),
    (BuiltinType::Int, "int"),
    (BuiltinType::Short, "short"),
    (BuiltinType::Byte, "byte"),
    (BuiltinType::NonNegativeInteger, "nonNegativeInteger"),
    (BuiltinType::UnsignedLong, "unsignedLong"),
    (BuiltinType::UnsignedInt, "unsignedInt"),
    (BuiltinType::UnsignedShort, "unsignedShort"),
    (BuiltinType::UnsignedByte, "unsignedByte"),
    (BuiltinType::PositiveInteger, "positiveInteger"),
    (BuiltinType::Float, "float"),
    (BuiltinType::Double, "double"),
    (BuiltinType::Duration, "duration"),
    (BuiltinType::DateTime, "dateTime"),
    (BuiltinType::Time, "time"),
    (BuiltinType::Date, "date"),
    (BuiltinType::GYearMonth, "gYearMonth"),
    (BuiltinType::GYear, "gYear"),
    (BuiltinType::GMonthDay, "gMonthDay"),
    (BuiltinType::GDay, "gDay"),
    (BuiltinType::GMonth, "gMonth"),
    (BuiltinType::HexBinary, "hexBinary"),
    (BuiltinType::Base64Binary, "base64Binary"),
];

/// How a type normalises whitespace before its value is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WhiteSpace {
    Preserve,
    Replace,
    Collapse,
}

impl WhiteSpace {
    pub(crate) fn parse(text: &str) -> Option<WhiteSpace> {
        match text.trim() {
            "preserve" => Some(WhiteSpace::Preserve),
            "replace" => Some(WhiteSpace::Replace),
            "collapse" => Some(WhiteSpace::Collapse),
            _ => None,
        }
    }

    pub(crate) fn apply(self, text: &str) -> String {
        match self {
            WhiteSpace::Preserve => text.to_string(),
            WhiteSpace::Replace => text.chars().map(|c| if matches!(c, '\t' | '\n' | '\r') { ' ' } else { c }).collect(),
            WhiteSpace::Collapse => text.split([' ', '\t', '\n', '\r']).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" "),
        }
    }
}

/// What the facets of a type compare: its value space, coarsely.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValueSpace {
    /// Strings, names, URIs: length in characters, no order.
    Text,
    /// QName and NOTATION: equality needs the namespace context, length facets are ignored.
    QName,
    Boolean,
    Decimal,
    Float,
    /// dateTime, date, time and the g* types.
    Time,
    Duration,
    /// hexBinary and base64Binary: length in octets.
    Binary,
    /// IDREFS, ENTITIES, NMTOKENS: length in items.
    List,
    Any,
}

impl BuiltinType {
    pub fn from_local_name(local: &str) -> Option<BuiltinType> {
        NAMES.iter().find(|(_, name)| *name == local).map(|(t, _)| *t)
    }

    /// The built-in type with this expanded name (in the XML Schema namespace), if any.
    pub fn from_qname(name: &QName) -> Option<BuiltinType> {
        if name.namespace.as_deref() != Some(XSD_NS) {
            return None;
        }
        BuiltinType::from_local_name(&name.local)
    }

    pub fn local_name(self) -> &'static str {
        NAMES.iter().find(|(t, _)| *t == self).map_or("anyType", |(_, name)| name)
    }

    pub fn qname(self) -> QName {
        QName::new(Some(XSD_NS), self.local_name())
    }

    /// Every built-in type but `anyType` is simple.
    pub fn is_simple(self) -> bool {
        self != BuiltinType::AnyType
    }

    pub fn all() -> impl Iterator<Item = BuiltinType> {
        NAMES.iter().map(|(t, _)| *t)
    }

    pub(crate) fn whitespace(self) -> WhiteSpace {
        match self {
            BuiltinType::String | BuiltinType::AnySimpleType | BuiltinType::AnyType => WhiteSpace::Preserve,
            BuiltinType::NormalizedString => WhiteSpace::Replace,
            _ => WhiteSpace::Collapse,
        }
    }

    pub(crate) fn value_space(self) -> ValueSpace {
        use BuiltinType as B;
        match self {
            B::AnyType | B::AnySimpleType => ValueSpace::Any,
            B::String
            | B::NormalizedString
            | B::Token
            | B::Language
            | B::Name
            | B::NCName
            | B::Id
            | B::IdRef
            | B::Entity
            | B::NmToken
            | B::AnyUri => ValueSpace::Text,
            B::IdRefs | B::Entities | B::NmTokens => ValueSpace::List,
            B::QName | B::Notation => ValueSpace::QName,
            B::Boolean => ValueSpace::Boolean,
            B::Decimal
            | B::Integer
            | B::NonPositiveInteger
            | B::NegativeInteger
            | B::Long
            | B::Int
            | B::Short
            | B::Byte
            | B::NonNegativeInteger
            | B::UnsignedLong
            | B::UnsignedInt
            | B::UnsignedShort
            | B::UnsignedByte
            | B::PositiveInteger => ValueSpace::Decimal,
            B::Float | B::Double => ValueSpace::Float,
            B::Duration => ValueSpace::Duration,
            B::DateTime | B::Time | B::Date | B::GYearMonth | B::GYear | B::GMonthDay | B::GDay | B::GMonth => ValueSpace::Time,
            B::HexBinary | B::Base64Binary => ValueSpace::Binary,
        }
    }

    /// The value range of the integer types, as decimal literals.
    fn integer_bounds(self) -> Option<(Option<&'static str>, Option<&'static str>)> {
        use BuiltinType as B;
        Some(match self {
            B::Integer => (None, None),
            B::NonPositiveInteger => (None, Some("0")),
            B::NegativeInteger => (None, Some("-1")),
            B::Long => (Some("-9223372036854775808"), Some("9223372036854775807")),
            B::Int => (Some("-2147483648"), Some("2147483647")),
            B::Short => (Some("-32768"), Some("32767")),
            B::Byte => (Some("-128"), Some("127")),
            B::NonNegativeInteger => (Some("0"), None),
            B::UnsignedLong => (Some("0"), Some("18446744073709551615")),
            B::UnsignedInt => (Some("0"), Some("4294967295")),
            B::UnsignedShort => (Some("0"), Some("65535")),
            B::UnsignedByte => (Some("0"), Some("255")),
            B::PositiveInteger => (Some("1"), None),
            _ => return None,
        })
    }

    pub(crate) fn is_integer(self) -> bool {
        self.integer_bounds().is_some()
    }

    /// A valid value of this type, for sample instances.
    pub(crate) fn sample(self) -> &'static str {
        use BuiltinType as B;
        match self {
            B::AnyType | B::AnySimpleType | B::String | B::NormalizedString | B::Token => "string",
            B::Language => "en",
            B::Name | B::NCName | B::Id | B::IdRef | B::IdRefs | B::Entity | B::Entities | B::NmToken | B::NmTokens => "name",
            B::AnyUri => "http://example.com/",
            B::QName | B::Notation => "name",
            B::Boolean => "false",
            B::NegativeInteger => "-1",
            B::PositiveInteger => "1",
            B::Decimal | B::Integer | B::NonPositiveInteger | B::Long | B::Int | B::Short | B::Byte | B::NonNegativeInteger => "0",
            B::UnsignedLong | B::UnsignedInt | B::UnsignedShort | B::UnsignedByte => "0",
            B::Float | B::Double => "0.0",
            B::Duration => "P0D",
            B::DateTime => "2000-01-01T00:00:00Z",
            B::Time => "00:00:00Z",
            B::Date => "2000-01-01",
            B::GYearMonth => "2000-01",
            B::GYear => "2000",
            B::GMonthDay => "--01-01",
            B::GDay => "---01",
            B::GMonth => "--01",
            B::HexBinary | B::Base64Binary => "",
        }
    }

    /// Checks a whitespace-normalised value against the type's lexical space (and, for the integer
    /// types, its range). The message describes what is wrong.
    pub(crate) fn check_lexical(self, value: &str) -> Result<(), String> {
        use BuiltinType as B;
        let ok = match self {
            B::AnyType | B::AnySimpleType | B::String | B::NormalizedString | B::Token | B::AnyUri => true,
            B::Language => is_language(value),
            B::Name => is_name(value, true),
            B::NCName | B::Id | B::IdRef | B::Entity => is_name(value, false),
            B::NmToken => is_nmtoken(value),
            B::IdRefs | B::Entities => !value.is_empty() && value.split(' ').all(|item| is_name(item, false)),
            B::NmTokens => !value.is_empty() && value.split(' ').all(is_nmtoken),
            B::QName | B::Notation => is_qname(value),
            B::Boolean => matches!(value, "true" | "false" | "1" | "0"),
            B::Decimal => Decimal::parse(value).is_some(),
            B::Float | B::Double => parse_float(value).is_some(),
            B::Duration => Duration::parse(value).is_some(),
            B::DateTime | B::Time | B::Date | B::GYearMonth | B::GYear | B::GMonthDay | B::GDay | B::GMonth => {
                TimeValue::parse(self, value).is_some()
            }
            B::HexBinary => value.len().is_multiple_of(2) && value.bytes().all(|b| b.is_ascii_hexdigit()),
            B::Base64Binary => base64_octets(value).is_some(),
            B::Integer
            | B::NonPositiveInteger
            | B::NegativeInteger
            | B::Long
            | B::Int
            | B::Short
            | B::Byte
            | B::NonNegativeInteger
            | B::UnsignedLong
            | B::UnsignedInt
            | B::UnsignedShort
            | B::UnsignedByte
            | B::PositiveInteger => return self.check_integer(value),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("`{value}` is not a valid xs:{}", self.local_name()))
        }
    }

    fn check_integer(self, value: &str) -> Result<(), String> {
        let Some(number) = Decimal::parse_integer(value) else {
            return Err(format!("`{value}` is not a valid xs:{} (expected an integer)", self.local_name()));
        };
        let (min, max) = self.integer_bounds().unwrap_or((None, None));
        let below = min.and_then(Decimal::parse).is_some_and(|min| number < min);
        let above = max.and_then(Decimal::parse).is_some_and(|max| number > max);
        if below || above {
            let range = match (min, max) {
                (Some(min), Some(max)) => format!("{min} to {max}"),
                (Some(min), None) => format!("at least {min}"),
                (None, Some(max)) => format!("at most {max}"),
                (None, None) => String::new(),
            };
            return Err(format!("`{value}` is out of range for xs:{} ({range})", self.local_name()));
        }
        Ok(())
    }

    /// Compares two lexically valid values in the value space. `Err` says why the comparison
    /// cannot be made (no order, or an order this implementation does not decide).
    pub(crate) fn compare(self, a: &str, b: &str) -> Result<Ordering, String> {
        let fail = || format!("`{a}` and `{b}` are not comparable as xs:{}", self.local_name());
        match self.value_space() {
            ValueSpace::Decimal => match (Decimal::parse(a), Decimal::parse(b)) {
                (Some(a), Some(b)) => Ok(a.cmp(&b)),
                _ => Err(fail()),
            },
            ValueSpace::Float => match (parse_float(a), parse_float(b)) {
                (Some(x), Some(y)) => x.partial_cmp(&y).ok_or_else(fail),
                _ => Err(fail()),
            },
            ValueSpace::Time => match (TimeValue::parse(self, a).and_then(|t| t.key()), TimeValue::parse(self, b).and_then(|t| t.key())) {
                (Some(x), Some(y)) if x.timezoned == y.timezoned => Ok(x.cmp(&y)),
                (Some(_), Some(_)) => Err(format!("`{a}` and `{b}`: comparing a time with a timezone to one without is not supported")),
                _ => Err(format!("ordering xs:{} values is not supported", self.local_name())),
            },
            ValueSpace::Duration => match (Duration::parse(a), Duration::parse(b)) {
                (Some(x), Some(y)) => x.partial_cmp(&y).ok_or_else(|| format!("the durations `{a}` and `{b}` have no determinate order")),
                _ => Err(fail()),
            },
            _ => Err(format!("xs:{} values have no order", self.local_name())),
        }
    }

    /// Value-space equality. `Err` when equality cannot be decided without more context.
    pub(crate) fn equal(self, a: &str, b: &str) -> Result<bool, String> {
        match self.value_space() {
            ValueSpace::Decimal | ValueSpace::Float | ValueSpace::Duration => Ok(self.compare(a, b)? == Ordering::Equal),
            ValueSpace::Time => match (TimeValue::parse(self, a), TimeValue::parse(self, b)) {
                (Some(x), Some(y)) => Ok(x.same_as(&y)),
                _ => Ok(a == b),
            },
            ValueSpace::Boolean => Ok(parse_bool(a) == parse_bool(b)),
            ValueSpace::Binary if self == BuiltinType::HexBinary => Ok(a.eq_ignore_ascii_case(b)),
            ValueSpace::Binary => Ok(strip_whitespace(a) == strip_whitespace(b)),
            ValueSpace::QName if a == b => Ok(true),
            ValueSpace::QName => {
                Err(format!("comparing xs:{} values needs their namespace context, which is not supported", self.local_name()))
            }
            ValueSpace::Text | ValueSpace::List | ValueSpace::Any => Ok(a == b),
        }
    }

    /// The length of a value as the length facets count it: characters, octets or list items.
    /// `None` for types the length facets do not apply to.
    pub(crate) fn length(self, value: &str) -> Option<usize> {
        match self.value_space() {
            ValueSpace::Text | ValueSpace::Any => Some(value.chars().count()),
            ValueSpace::List => Some(value.split(' ').filter(|s| !s.is_empty()).count()),
            ValueSpace::Binary if self == BuiltinType::HexBinary => Some(value.len() / 2),
            ValueSpace::Binary => base64_octets(value),
            _ => None,
        }
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn strip_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

fn is_name_start(c: char, colon: bool) -> bool {
    c.is_alphabetic() || c == '_' || (colon && c == ':')
}

fn is_name_char(c: char, colon: bool) -> bool {
    is_name_start(c, colon)
        || c.is_alphanumeric()
        || matches!(c, '-' | '.' | '\u{B7}')
        || ('\u{300}'..='\u{36F}').contains(&c)
        || c == '\u{203F}'
        || c == '\u{2040}'
}

pub(crate) fn is_name(text: &str, colon: bool) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| is_name_start(c, colon)) && chars.all(|c| is_name_char(c, colon))
}

fn is_nmtoken(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| is_name_char(c, true))
}

fn is_qname(text: &str) -> bool {
    match text.split_once(':') {
        Some((prefix, local)) => is_name(prefix, false) && is_name(local, false),
        None => is_name(text, false),
    }
}

fn is_language(text: &str) -> bool {
    let mut parts = text.split('-');
    let first = parts.next().unwrap_or("");
    let valid = |part: &str, alpha_only: bool| {
        (1..=8).contains(&part.len()) && part.bytes().all(|b| if alpha_only { b.is_ascii_alphabetic() } else { b.is_ascii_alphanumeric() })
    };
    valid(first, true) && parts.all(|part| valid(part, false))
}

/// The number of octets a base64 text encodes, or `None` when it is not valid base64.
fn base64_octets(text: &str) -> Option<usize> {
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !compact.len().is_multiple_of(4) {
        return None;
    }
    let padding = compact.iter().rev().take_while(|&&b| b == b'=').count();
    if padding > 2 {
        return None;
    }
    let body = &compact[..compact.len() - padding];
    if !body.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/') {
        return None;
    }
    Some(compact.len() / 4 * 3 - padding)
}

/// An XSD float or double literal: decimal or scientific notation, `INF`, `-INF`, `NaN`.
pub(crate) fn parse_float(text: &str) -> Option<f64> {
    match text {
        "INF" | "+INF" => return Some(f64::INFINITY),
        "-INF" => return Some(f64::NEG_INFINITY),
        "NaN" => return Some(f64::NAN),
        _ => {}
    }
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    Decimal::parse(mantissa)?;
    if let Some(exponent) = exponent {
        Decimal::parse_integer(exponent)?;
    }
    text.parse::<f64>().ok()
}

/// An arbitrary-precision decimal number, enough to compare values of any size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Decimal {
    negative: bool,
    /// Integer digits without leading zeros (empty for zero).
    int: String,
    /// Fraction digits without trailing zeros.
    frac: String,
}

impl Decimal {
    /// `[+-]?(digits(.digits?)?|.digits)`
    pub(crate) fn parse(text: &str) -> Option<Decimal> {
        let (negative, rest) = match text.as_bytes().first()? {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let int = int.trim_start_matches('0').to_string();
        let frac = frac.trim_end_matches('0').to_string();
        let negative = negative && !(int.is_empty() && frac.is_empty());
        Some(Decimal { negative, int, frac })
    }

    /// `[+-]?digits`
    pub(crate) fn parse_integer(text: &str) -> Option<Decimal> {
        if text.contains('.') {
            return None;
        }
        Decimal::parse(text)
    }

    /// Digits of the value with neither leading nor trailing zeros (`totalDigits`).
    pub(crate) fn total_digits(&self) -> usize {
        let digits = format!("{}{}", self.int, self.frac);
        digits.trim_start_matches('0').len().max(1)
    }

    pub(crate) fn fraction_digits(&self) -> usize {
        self.frac.len()
    }

    pub(crate) fn is_integer(&self) -> bool {
        self.frac.is_empty()
    }

    pub(crate) fn is_negative(&self) -> bool {
        self.negative
    }

    /// The integer part (rounded toward zero).
    pub(crate) fn trunc(&self) -> Decimal {
        let negative = self.negative && !self.int.is_empty();
        Decimal { negative, int: self.int.clone(), frac: String::new() }
    }

    /// The next integer up (`self` must be an integer).
    pub(crate) fn succ(&self) -> Decimal {
        if self.negative {
            let magnitude = Decimal { negative: false, ..self.clone() }.decrement_magnitude();
            Decimal { negative: !magnitude.int.is_empty(), ..magnitude }
        } else {
            self.increment_magnitude()
        }
    }

    /// The next integer down (`self` must be an integer).
    pub(crate) fn pred(&self) -> Decimal {
        if self.negative || self.int.is_empty() {
            let magnitude = Decimal { negative: false, ..self.clone() }.increment_magnitude();
            Decimal { negative: true, ..magnitude }
        } else {
            self.decrement_magnitude()
        }
    }

    fn increment_magnitude(&self) -> Decimal {
        let mut digits: Vec<u8> = self.int.bytes().collect();
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
        Decimal { negative: false, int: String::from_utf8(digits).unwrap_or_default(), frac: String::new() }
    }

    /// `|self| - 1` for a positive integer.
    fn decrement_magnitude(&self) -> Decimal {
        let mut digits: Vec<u8> = self.int.bytes().collect();
        let mut i = digits.len();
        while i > 0 {
            i -= 1;
            if digits[i] == b'0' {
                digits[i] = b'9';
            } else {
                digits[i] -= 1;
                break;
            }
        }
        let int = String::from_utf8(digits).unwrap_or_default().trim_start_matches('0').to_string();
        Decimal { negative: false, int, frac: String::new() }
    }

    fn cmp_magnitude(&self, other: &Decimal) -> Ordering {
        self.int.len().cmp(&other.int.len()).then_with(|| self.int.cmp(&other.int)).then_with(|| self.frac.cmp(&other.frac))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Decimal) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        f.write_str(if self.int.is_empty() { "0" } else { &self.int })?;
        if !self.frac.is_empty() {
            write!(f, ".{}", self.frac)?;
        }
        Ok(())
    }
}

/// A duration as (months, seconds): the two independent parts of its value.
#[derive(Clone, Debug, PartialEq)]
struct Duration {
    months: i128,
    seconds: Decimal,
}

impl Duration {
    /// `-?P(nY)?(nM)?(nD)?(T(nH)?(nM)?(n(.n)?S)?)?` with at least one component.
    fn parse(text: &str) -> Option<Duration> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let rest = rest.strip_prefix('P')?;
        let (date, time) = match rest.split_once('T') {
            Some((date, time)) => {
                if time.is_empty() {
                    return None;
                }
                (date, Some(time))
            }
            None => (rest, None),
        };
        let mut parts = DurationParts::default();
        parts.read(date, &[('Y', 12, true), ('M', 1, true), ('D', 86_400, false)])?;
        if let Some(time) = time {
            let before = parts.components;
            parts.read(time, &[('H', 3_600, false), ('M', 60, false), ('S', 1, false)])?;
            if parts.components == before {
                return None;
            }
        }
        if parts.components == 0 {
            return None;
        }
        let DurationParts { months, whole_seconds, fraction, .. } = parts;
        let sign = if negative { "-" } else { "" };
        let seconds = Decimal::parse(&format!("{sign}{whole_seconds}.{fraction}0"))?;
        Some(Duration { months: if negative { -months } else { months }, seconds })
    }
}

#[derive(Default)]
struct DurationParts {
    months: i128,
    whole_seconds: i128,
    fraction: String,
    components: usize,
}

impl DurationParts {
    /// Reads `nX` components of one half (date or time) of a duration, in the designators' order.
    fn read(&mut self, part: &str, designators: &[(char, i128, bool)]) -> Option<()> {
        let mut rest = part;
        let mut next_designator = 0;
        while !rest.is_empty() {
            let end = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
            let (number, tail) = rest.split_at(end);
            let designator = tail.chars().next()?;
            let position = designators[next_designator..].iter().position(|(d, _, _)| *d == designator)? + next_designator;
            next_designator = position + 1;
            let (_, factor, is_months) = designators[position];
            let (int_part, frac_part) = match number.split_once('.') {
                Some((i, f)) if designator == 'S' && !i.is_empty() && !f.is_empty() => (i, Some(f)),
                Some(_) => return None,
                None => (number, None),
            };
            if int_part.is_empty() {
                return None;
            }
            let value: i128 = int_part.parse().ok()?;
            if is_months {
                self.months = self.months.checked_add(value.checked_mul(factor)?)?;
            } else {
                self.whole_seconds = self.whole_seconds.checked_add(value.checked_mul(factor)?)?;
            }
            if let Some(frac_part) = frac_part {
                self.fraction = frac_part.to_string();
            }
            self.components += 1;
            rest = &tail[designator.len_utf8()..];
        }
        Some(())
    }
}

impl PartialOrd for Duration {
    /// Determinate only when the months and the seconds do not disagree (`P1M` vs `P30D` is not).
    fn partial_cmp(&self, other: &Duration) -> Option<Ordering> {
        let months = self.months.cmp(&other.months);
        let seconds = self.seconds.cmp(&other.seconds);
        match (months, seconds) {
            (Ordering::Equal, s) => Some(s),
            (m, Ordering::Equal) => Some(m),
            (m, s) if m == s => Some(m),
            _ => None,
        }
    }
}

/// The fields of a date/time value; absent fields (a date's hour) are zero.
#[derive(Clone, Debug, PartialEq)]
struct TimeValue {
    kind: BuiltinType,
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// Fraction-of-second digits without trailing zeros.
    fraction: String,
    /// Offset from UTC in minutes.
    timezone: Option<i32>,
}

/// Ordering key of a date/time value: minutes since an epoch (UTC when timezoned), then seconds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct TimeKey {
    timezoned: bool,
    minutes: i64,
    second: u32,
    fraction: String,
}

impl TimeValue {
    fn parse(kind: BuiltinType, text: &str) -> Option<TimeValue> {
        use BuiltinType as B;
        let mut value =
            TimeValue { kind, year: 2000, month: 1, day: 1, hour: 0, minute: 0, second: 0, fraction: String::new(), timezone: None };
        let rest = match kind {
            B::DateTime => {
                let rest = value.date(text)?;
                let rest = rest.strip_prefix('T')?;
                value.time(rest)?
            }
            B::Date => value.date(text)?,
            B::Time => value.time(text)?,
            B::GYearMonth => {
                let rest = value.year(text)?;
                let rest = rest.strip_prefix('-')?;
                let (month, rest) = two_digits(rest)?;
                value.month = month;
                rest
            }
            B::GYear => value.year(text)?,
            B::GMonthDay => {
                let rest = text.strip_prefix("--")?;
                let (month, rest) = two_digits(rest)?;
                let rest = rest.strip_prefix('-')?;
                let (day, rest) = two_digits(rest)?;
                value.month = month;
                value.day = day;
                value.year = 2000; // a leap year: --02-29 is valid
                rest
            }
            B::GDay => {
                let (day, rest) = two_digits(text.strip_prefix("---")?)?;
                value.day = day;
                rest
            }
            B::GMonth => {
                let (month, rest) = two_digits(text.strip_prefix("--")?)?;
                value.month = month;
                // XML Schema 1.0 (first edition) wrote gMonth as `--MM--`.
                rest.strip_prefix("--").unwrap_or(rest)
            }
            _ => return None,
        };
        value.timezone = parse_timezone(rest)?;
        let valid_date = (1..=12).contains(&value.month) && value.day >= 1 && value.day <= days_in_month(value.year, value.month);
        let valid_time = (value.hour < 24 && value.minute < 60 && value.second < 60)
            || (value.hour == 24 && value.minute == 0 && value.second == 0 && value.fraction.is_empty());
        (valid_date && valid_time).then_some(value)
    }

    fn year<'t>(&mut self, text: &'t str) -> Option<&'t str> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits < 4 || (digits > 4 && rest.starts_with('0')) {
            return None;
        }
        let year: i64 = rest[..digits].parse().ok()?;
        if year == 0 {
            return None;
        }
        self.year = if negative { -year } else { year };
        Some(&rest[digits..])
    }

    fn date<'t>(&mut self, text: &'t str) -> Option<&'t str> {
        let rest = self.year(text)?;
        let (month, rest) = two_digits(rest.strip_prefix('-')?)?;
        let (day, rest) = two_digits(rest.strip_prefix('-')?)?;
        self.month = month;
        self.day = day;
        Some(rest)
    }

    fn time<'t>(&mut self, text: &'t str) -> Option<&'t str> {
        let (hour, rest) = two_digits(text)?;
        let (minute, rest) = two_digits(rest.strip_prefix(':')?)?;
        let (second, mut rest) = two_digits(rest.strip_prefix(':')?)?;
        if let Some(after_dot) = rest.strip_prefix('.') {
            let digits = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            self.fraction = after_dot[..digits].trim_end_matches('0').to_string();
            rest = &after_dot[digits..];
        }
        self.hour = hour;
        self.minute = minute;
        self.second = second;
        Some(rest)
    }

    /// `None` for the recurring types (gMonthDay, gDay, gMonth), whose order is not supported.
    fn key(&self) -> Option<TimeKey> {
        if matches!(self.kind, BuiltinType::GMonthDay | BuiltinType::GDay | BuiltinType::GMonth) {
            return None;
        }
        let days = if self.kind == BuiltinType::Time { 0 } else { days_from_civil(self.year, self.month, self.day) };
        let minutes = days * 1440 + i64::from(self.hour) * 60 + i64::from(self.minute) - i64::from(self.timezone.unwrap_or(0));
        Some(TimeKey { timezoned: self.timezone.is_some(), minutes, second: self.second, fraction: self.fraction.clone() })
    }

    fn same_as(&self, other: &TimeValue) -> bool {
        match (self.key(), other.key()) {
            (Some(a), Some(b)) => a == b,
            _ => self == other,
        }
    }
}

fn two_digits(text: &str) -> Option<(u32, &str)> {
    let digits = text.get(..2)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, &text[2..]))
}

/// `Z`, `+hh:mm`, `-hh:mm`, or nothing.
fn parse_timezone(text: &str) -> Option<Option<i32>> {
    match text {
        "" => return Some(None),
        "Z" => return Some(Some(0)),
        _ => {}
    }
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, rest) = two_digits(&text[1..])?;
    let (minutes, rest) = two_digits(rest.strip_prefix(':')?)?;
    if !rest.is_empty() || minutes > 59 || hours > 14 || (hours == 14 && minutes > 0) {
        return None;
    }
    Some(Some(sign * (hours as i32 * 60 + minutes as i32)))
}

fn is_leap_year(year: i64) -> bool {
    // XML Schema 1.0 has no year zero: year -1 is 1 BCE, a leap year like astronomical year 0.
    let year = if year < 0 { year + 1 } else { year };
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Years beyond this (either way) count as this one in [`days_from_civil`]: its arithmetic then
/// stays far inside `i64` (the day count times minutes or milliseconds too), where a year of
/// eighteen digits, which XML Schema allows, would overflow it.
const YEAR_LIMIT: i64 = 1_000_000_000_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year.clamp(-YEAR_LIMIT, YEAR_LIMIT);
    let year = if year < 0 { year + 1 } else { year };
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_compare_by_value() {
        let d = |s| Decimal::parse(s).unwrap();
        assert_eq!(d("01.50"), d("1.5"));
        assert!(d("-0") == d("0"));
        assert!(d("-2") < d("-1.5"));
        assert!(d("10") > d("9.999"));
        assert!(d("0.45") < d("0.5"));
        assert!(d("123456789012345678901234567890") > d("9223372036854775807"));
        assert_eq!(d("0.00120").total_digits(), 2);
        assert_eq!(d("-1").succ().to_string(), "0");
        assert_eq!(d("0").pred().to_string(), "-1");
        assert_eq!(d("99").succ().to_string(), "100");
        assert_eq!(d("-100").succ().to_string(), "-99");
        assert!(Decimal::parse(".").is_none());
        assert!(Decimal::parse("1e3").is_none());
    }

    #[test]
    fn integer_ranges() {
        assert!(BuiltinType::Int.check_lexical("2147483647").is_ok());
        assert!(BuiltinType::Int.check_lexical("2147483648").is_err());
        assert!(BuiltinType::Byte.check_lexical("-129").is_err());
        assert!(BuiltinType::UnsignedLong.check_lexical("+18446744073709551615").is_ok());
        assert!(BuiltinType::PositiveInteger.check_lexical("0").is_err());
        assert!(BuiltinType::Integer.check_lexical("1.0").is_err());
    }

    #[test]
    fn dates_and_times() {
        let ok = |t: BuiltinType, v: &str| t.check_lexical(v).is_ok();
        assert!(ok(BuiltinType::DateTime, "2024-02-29T23:59:59.5+01:00"));
        assert!(!ok(BuiltinType::DateTime, "2023-02-29T00:00:00"));
        assert!(ok(BuiltinType::DateTime, "2023-12-31T24:00:00Z"));
        assert!(!ok(BuiltinType::DateTime, "2023-12-31T24:00:01Z"));
        assert!(!ok(BuiltinType::Date, "0000-01-01"));
        assert!(ok(BuiltinType::Date, "-0044-03-15"));
        assert!(ok(BuiltinType::GMonthDay, "--02-29"));
        assert!(ok(BuiltinType::GMonth, "--12"));
        assert!(!ok(BuiltinType::Time, "25:00:00"));
        assert!(!ok(BuiltinType::DateTime, "2023-01-01T00:00:00+15:00"));
        let cmp = |a, b| BuiltinType::DateTime.compare(a, b);
        assert_eq!(cmp("2023-01-01T01:00:00+01:00", "2023-01-01T00:00:00Z"), Ok(Ordering::Equal));
        assert_eq!(cmp("2023-01-01T00:00:00.5Z", "2023-01-01T00:00:00.45Z"), Ok(Ordering::Greater));
        assert!(cmp("2023-01-01T00:00:00", "2023-01-01T00:00:00Z").is_err());
        // eighteen-digit years are valid XML Schema and compare without overflowing
        assert_eq!(cmp("4983108671024016155-01-01T00:00:00Z", "2023-01-01T00:00:00Z"), Ok(Ordering::Greater));
        assert_eq!(cmp("-9223372036854775807-01-01T00:00:00Z", "2023-01-01T00:00:00Z"), Ok(Ordering::Less));
    }

    #[test]
    fn durations() {
        let ok = |v: &str| BuiltinType::Duration.check_lexical(v).is_ok();
        assert!(ok("P1Y2M3DT4H5M6.7S"));
        assert!(ok("-PT0S"));
        assert!(ok("P3D"));
        assert!(!ok("P"));
        assert!(!ok("PT"));
        assert!(!ok("P1DT"));
        assert!(!ok("P1M1Y"));
        assert!(!ok("P1.5D"));
        let cmp = |a, b| BuiltinType::Duration.compare(a, b);
        assert_eq!(cmp("PT60S", "PT1M"), Ok(Ordering::Equal));
        assert_eq!(cmp("P1D", "PT23H"), Ok(Ordering::Greater));
        assert!(cmp("P1M", "P30D").is_err());
    }

    #[test]
    fn names_floats_binary() {
        assert!(BuiltinType::NCName.check_lexical("a:b").is_err());
        assert!(BuiltinType::QName.check_lexical("a:b").is_ok());
        assert!(BuiltinType::QName.check_lexical("a:b:c").is_err());
        assert!(BuiltinType::Language.check_lexical("en-GB").is_ok());
        assert!(BuiltinType::Double.check_lexical("-1.5E-3").is_ok());
        assert!(BuiltinType::Double.check_lexical("inf").is_err());
        assert!(BuiltinType::Float.check_lexical("INF").is_ok());
        assert!(BuiltinType::HexBinary.check_lexical("0aFF").is_ok());
        assert!(BuiltinType::HexBinary.check_lexical("0aF").is_err());
        assert_eq!(BuiltinType::Base64Binary.length("aGk="), Some(2));
        assert!(BuiltinType::Base64Binary.check_lexical("aGk").is_err());
        assert_eq!(BuiltinType::Boolean.equal("1", "true"), Ok(true));
    }
}
